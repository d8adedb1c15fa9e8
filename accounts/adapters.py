"""allauth adapter: no public sign-up (staff join by invitation only); a sign-in refused by
the failed-login rate limit is audited too."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from . import audit
            from .services import audit_record

            email = str(credentials.get("email") or credentials.get("username") or "")[:200]
            audit_record(
                action=audit.LOGIN_FAILED,
                request=request,
                target_type="accounts.user",
                target_repr=email,
                detail={"reason": "rate_limited"},
            )
            raise
