"""Every ``next`` the portal follows (sign-in, the language menu, the road bulk action, the
test-account page's back link) stays on the portal: protocol-relative, backslash and
other-scheme tricks fall back to a page of the portal, and never answer 500."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from accounts import roles

EVIL = [
    "//evil.example",
    "//evil.example/path",
    "https:evil.example",
    "https://evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "http:/\\/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "-1",
    "",
]


def _stays_on_portal(location: str) -> bool:
    parts = urlsplit(location.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and not location.lstrip().startswith(("//", "\\", "/\\"))


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_next_stays_on_the_portal(client, make_staff, target):
    make_staff(roles.ROAD, email="road-next@city.example.jp")
    response = client.post(
        "/accounts/login/?next=" + target, {"login": "road-next@city.example.jp", "password": "pass-word-123", "next": target}
    )
    assert response.status_code == 302, response.status_code
    assert _stays_on_portal(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_language_menu_next_stays_on_the_portal(client, target):
    response = client.post("/i18n/setlang/", {"language": "en", "next": target}, HTTP_REFERER=target)
    assert response.status_code in (302, 204), response.status_code
    if response.status_code == 302:
        assert _stays_on_portal(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_road_bulk_action_next_stays_on_the_portal(client, make_staff, target):
    client.force_login(make_staff(roles.ROAD))
    response = client.post("/roads/bulk/", {"next": target})
    assert response.status_code == 302
    assert _stays_on_portal(response["Location"]), response["Location"]
    assert response["Location"] == "/roads/" or response["Location"] == target


@pytest.mark.parametrize("target", EVIL)
def test_test_account_back_link_stays_on_the_portal(client, make_staff, target):
    client.force_login(make_staff(roles.PR_AUTHOR))
    response = client.get("/broadcasts/test-account/", {"next": target})
    assert response.status_code == 200
    links = re.findall(r'<a href="([^"]*)">[^<]*</a></p>', response.content.decode())
    back = [html.unescape(link) for link in links if "evil" in link or "javascript" in link or link == html.escape(target)]
    assert all(_stays_on_portal(link) for link in back), back
