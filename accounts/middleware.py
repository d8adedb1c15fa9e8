"""Sends staff whose role requires MFA to TOTP set-up before anything else."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .selectors import user_has_totp, user_requires_mfa

_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/line/webhook", "/favicon")


class MfaEnforcementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user_requires_mfa(user=user)
            and not user_has_totp(user=user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
