"""Staff sessions end after SESSION_IDLE_TIMEOUT_SECONDS without a request (default 30 min)
and, however active, STAFF_SESSION_MAX_AGE_SECONDS after sign-in (default 10 h).

The sign-in time and the last request's time live in the session (database-backed, so every
web process agrees). The last-seen time is written at most once a minute, so a page that
polls does not write the session on every request. Residents' booking sessions (no signed-in
user) keep their own, shorter expiry.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

SIGNED_IN_AT = "_portal_signed_in_at"
LAST_SEEN_AT = "_portal_last_seen_at"
WRITE_EVERY = 60.0


@receiver(user_logged_in, dispatch_uid="portal.session_timeout.signed_in")
def _signed_in(sender: object, request: HttpRequest | None = None, **_kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


def session_expired_reason(session: SessionBase, now: float) -> str | None:
    """ "idle", "max_age" or None for a signed-in staff member's session."""
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(LAST_SEEN_AT, signed_in)
    if seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return "idle"
    if signed_in is not None and now - signed_in > settings.STAFF_SESSION_MAX_AGE_SECONDS:
        return "max_age"
    return None


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            if SIGNED_IN_AT not in session:
                # Signed in before this policy existed: the clock starts now.
                session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now
            reason = session_expired_reason(session, now)
            if reason is not None:
                logout(request)  # flushes the session; the view then sees an anonymous visitor
                if reason == "idle":
                    text = _("一定時間操作がなかったため、サインアウトしました。もう一度サインインしてください。")
                else:
                    text = _("サインインから時間が経ったため、サインアウトしました。もう一度サインインしてください。")
                messages.info(request, text)
            elif now - session.get(LAST_SEEN_AT, 0) >= WRITE_EVERY:
                session[LAST_SEEN_AT] = now
        return self.get_response(request)
