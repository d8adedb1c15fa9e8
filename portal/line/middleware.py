"""LINE's webhook does not go through the staff portal's middleware.

The webhook is the portal's busiest URL and uses none of what the middleware after
``SecurityMiddleware`` provides: no session, no signed-in user (it is ``PUBLIC`` and checks
its own signature), no locale, no messages, no CSRF (exempt), no allauth or MFA redirect.
Skipping them removes about a third of the web process's CPU per webhook request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class WebhookShortcutMiddleware:
    """Answers ``/line/webhook`` with the webhook view directly; any other path continues
    through the rest of the middleware. Put it right after ``SecurityMiddleware`` (its
    HTTPS redirect and headers still apply)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._path: str | None = None  # reverse() needs the URLconf: resolved on first use

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._path is None:
            self._path = reverse("line:webhook")
        if request.path != self._path:
            return self.get_response(request)
        from .views import webhook

        request.get_host()  # ALLOWED_HOSTS still applies (DisallowedHost: 400), as CommonMiddleware does
        request.user = AnonymousUser()  # the view is PUBLIC; nothing reads a session
        return webhook(request)
