"""The client's IP address, the one way the portal reads it (audit log, allauth's rate limits).

Behind the TLS proxy the README prescribes, ``REMOTE_ADDR`` is the proxy. With
``TRUSTED_PROXY_COUNT = n`` (n proxies in front of the portal, each appending the address
it saw to ``X-Forwarded-For``) the client is the n-th address from the right: the one the
outermost trusted proxy saw. Addresses further left were written by the client and are
never trusted. ``TRUSTED_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``) instead names a header
the proxy sets itself. With neither (the default) ``REMOTE_ADDR`` is used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client that sent ``request`` (None without a request)."""
    if request is None:
        return None
    remote = _clean(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _clean(request.headers.get(header)) or remote
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    hops = [hop for hop in (request.headers.get("X-Forwarded-For") or "").split(",") if hop.strip()]
    if len(hops) < count:
        # Not through every trusted proxy (a direct connection): the peer is the client.
        return remote
    return _clean(hops[-count]) or remote
