"""Who is acting, from where: built once in the view, passed to every service that audits.

Services take ``ctx: AuditContext`` instead of the request, so they never see HTTP and a
task or management command can call them with :meth:`AuditContext.system`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User


@dataclass(frozen=True)
class AuditContext:
    actor: User | None = None
    ip: str | None = None
    # The portal's own address as the request saw it ("https://portal.example.city"), for
    # links a service writes into an e-mail; empty outside a request (settings decide).
    base_url: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditContext:
        from portal.clientip import client_ip

        user: Any = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        return cls(actor=actor, ip=client_ip(request), base_url=request.build_absolute_uri("/").rstrip("/"))

    @classmethod
    def system(cls, actor: User | None = None) -> AuditContext:
        """A task, a command or the chat: no address (the audit shows none)."""
        return cls(actor=actor)
