"""Nothing with personal data stays in a shared PC's browser cache: every response to a
signed-in staff member (pages, API answers, CSV exports) and every resident booking page
carries ``Cache-Control: private, no-store``; static files and the public Open311 API and
health check stay cacheable."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles


def _parameterless_paths() -> list[str]:
    """Every URL of the portal that takes no parameter."""
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
                paths.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def _no_store(response) -> bool:
    value = response.get("Cache-Control", "")
    return "no-store" in value and "private" in value


@pytest.mark.django_db
def test_every_staff_response_is_private_no_store(portal_world):
    w = portal_world
    details = [
        reverse("roads:detail", args=[w.report.pk]),
        reverse("roads:export"),
        reverse("roads:photo", args=[w.photo.pk, "preview"]),
        reverse("bulky:booking", args=[w.booking.pk]),
        reverse("bulky:api-booking-detail", args=[w.booking.pk]),
        reverse("bulky:api-booking-list"),
        reverse("bulky:routes-csv") + f"?area={w.collection_area.pk}&date={w.booking.collection_date.isoformat()}",
        reverse("accounts:audit_export"),
        reverse("accounts:staff_edit", args=[w.member.pk]),
        reverse("broadcasts:detail", args=[w.draft.pk]),
        reverse("broadcasts:api_list"),
    ]
    wrong, answered = [], 0
    for role in roles.ROLE_ORDER:
        client = Client()
        client.force_login(w.users[role])
        for path in [*_parameterless_paths(), *details]:
            if path.startswith(("/line/webhook", "/_emulator")):
                continue
            response = client.get(path)
            answered += response.status_code == 200
            if not _no_store(response):
                wrong.append(f"{role} {path} {response.status_code} {response.get('Cache-Control')!r}")
    assert not wrong, wrong
    assert answered > 40  # pages, APIs and exports did render (not only redirects)


def test_resident_booking_pages_are_never_cached(bulky_setup, open_booking_page):
    page = open_booking_page("U" + "c" * 32)
    for path in ("/bulky/r/", "/bulky/r/bookings/"):
        response = page.client.get(path)
        assert response.status_code == 200 and _no_store(response), (path, response.get("Cache-Control"))


@pytest.mark.django_db
def test_anonymous_sign_in_pages_are_not_cached_but_public_endpoints_stay_cacheable(client, settings):
    assert _no_store(client.get(reverse("account_login")))
    assert _no_store(client.get(reverse("account_reset_password")))
    for path in ("/open311/v2/services.json", "/open311/v2/requests.json"):
        response = client.get(path)
        assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", ""), path
    # the health check decides for itself (never cached), untouched
    assert client.get("/healthz")["Cache-Control"].startswith("max-age=0")
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # serve static/ without collectstatic
    static = Client().get("/static/portal/portal.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")
