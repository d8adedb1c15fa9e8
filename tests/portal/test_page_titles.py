"""Every main page's <title> is its name in words (WCAG 2.4.2; what a screen reader and the
browser tab say first). Walked as a newcomer: 粗大ごみ受付設定 and 休止日 carried a whole
<section> of markup in their titles."""

import html
import re

import pytest
from django.test import Client

from accounts import roles

pytestmark = pytest.mark.django_db

PAGES = {
    roles.PR_AUTHOR: ["/", "/broadcasts/", "/broadcasts/new/", "/broadcasts/emergency/new/", "/line/audience/"],
    roles.PR_APPROVER: ["/broadcasts/approvals/"],
    roles.ROAD: ["/roads/", "/roads/stats/"],
    roles.WASTE: [
        "/bulky/",
        "/bulky/calendar/",
        "/bulky/routes/",
        "/bulky/setup/",
        "/bulky/setup/items/",
        "/bulky/setup/areas/",
        "/bulky/setup/closures/",
    ],
    roles.ADMIN: ["/staff/", "/staff/audit/", "/line/settings/", "/roads/settings/", "/retention/"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_page_titles_are_plain_words(role, make_staff, bulky_setup):
    client = Client()
    client.force_login(make_staff(role))
    for url in PAGES[role]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert not any("/accounts/" in hop for hop, _ in response.redirect_chain), f"{url} sent {role} to sign in"
        title = re.search(r"<title>(.*?)</title>", response.content.decode(), flags=re.S).group(1)
        words = html.unescape(title)
        assert "<" not in words and "{" not in words and "\n" not in words.strip(), f"{url}: {title!r}"
        assert words.endswith("| LINE公式アカウント職員ポータル"), f"{url}: {title!r}"
