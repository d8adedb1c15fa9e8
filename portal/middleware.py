"""``Cache-Control: private, no-store`` on everything that may carry personal data.

City-hall PCs are shared: a page, API answer or CSV with a resident's address must not stay
in the browser's (or a proxy's) cache after sign-out. Rather than trusting each view to say
so, the rule is one place:

- every response to a signed-in staff member: ``private, no-store`` (replacing whatever a
  view set: pages, DRF answers, CSV exports, photos all alike);
- a response to anyone else: ``private, no-store`` unless the view set its own
  ``Cache-Control`` (public photos and broadcast images LINE fetches) or the path is one
  of the public, cacheable ones below (Open311, health). Residents' booking pages are
  therefore never cached whatever their URL.

Static files never get here (whitenoise answers them earlier, with its long-lived headers).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.translation import gettext as _

NO_STORE = "private, no-store"
PUBLIC_CACHEABLE_PREFIXES = ("/open311/", "/healthz", "/static/")


class PrivateNoStoreMiddleware:
    """Place after ``AuthenticationMiddleware`` (it reads ``request.user``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = NO_STORE
        elif not response.has_header("Cache-Control") and not request.path.startswith(PUBLIC_CACHEABLE_PREFIXES):
            response["Cache-Control"] = NO_STORE
        return response


class RefuseNulMiddleware:
    """A query parameter or form field containing NUL (``\\x00``) is refused with a 400
    before any view sees it. No form of the portal can use one, PostgreSQL cannot store one
    (a filter or an audit entry quoting it would fail with a server error), and SQLite
    would store it silently. Form and API validators refuse NUL too; this covers the values
    views read directly (filters, ``service_code``, ``next``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            return HttpResponseBadRequest(
                _("入力に使えない文字（NUL）が含まれています。"), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())
