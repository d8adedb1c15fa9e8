"""allauth adapter: no public sign-up (staff join by invitation only); a sign-in refused by
the failed-login rate limit is audited too."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """Rate limits key on the same client address the audit log records (behind the
        proxy: the client, not the proxy; see portal/clientip.py)."""
        from portal.clientip import client_ip

        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from .signals import audit_failed_login

            audit_failed_login(request=request, credentials=credentials, reason="rate_limited")
            raise
