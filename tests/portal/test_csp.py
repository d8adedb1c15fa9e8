"""Content-Security-Policy: every main page carries the header, and its HTML needs nothing the
policy forbids: no inline script, no event-handler attribute, no inline style, nothing from
another origin (the city's closed network reaches nothing outside the portal)."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from accounts import roles

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (event-handler attribute)")
            if name == "style":
                self.problems.append(f"<{tag} style=…> (inline style)")
            if name in ("src", "href", "action", "formaction", "srcset", "poster", "data") and value:
                v = value.strip().lower()
                if v.startswith("javascript:"):
                    self.problems.append(f"<{tag} {name}={value!r}> (javascript: URL)")
                if tag != "a" and (v.startswith(("http://", "https://", "//"))):
                    self.problems.append(f"<{tag} {name}={value!r}> (outside source)")
        if tag == "style":
            self.problems.append("<style> element (inline style)")
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            if not attributes.get("src") and kind not in DATA_SCRIPT_TYPES:
                self.problems.append("<script> without src (inline script)")


def html_problems(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.problems


def _check_page(response, label: str) -> list[str]:
    problems = []
    if response.status_code != 200:
        return [f"{label}: status {response.status_code}"]
    policy = response.headers.get("Content-Security-Policy", "")
    required = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'")
    for directive in required:
        if directive not in policy:
            problems.append(f"{label}: CSP header lacks {directive!r} (got {policy!r})")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"{label}: CSP header allows unsafe-inline/unsafe-eval: {policy!r}")
    problems += [f"{label}: {p}" for p in html_problems(response.content.decode())]
    return problems


def test_the_scanner_catches_what_the_policy_forbids():
    bad = (
        '<script>alert(1)</script><button onclick="x()">b</button><p style="color:red">p</p>'
        '<style>p{}</style><a href="javascript:x()">a</a><img src="https://cdn.example/x.png">'
        '<script src="//cdn.example/x.js"></script><link rel="stylesheet" href="https://cdn.example/x.css">'
    )
    assert len(html_problems(bad)) == 8
    good = '<script src="/static/x.js"></script><script type="application/json" id="c">{"a": 1}</script><a href="https://city.example.jp/">市</a>'
    assert html_problems(good) == []


def _main_pages(world) -> dict[str, list[str]]:
    """Role -> the main pages that role works with (real objects, so detail pages render)."""
    b, r, k = world.draft.pk, world.report.pk, world.booking.pk
    return {
        roles.ADMIN: [
            reverse("dashboard"),
            reverse("accounts:staff_list"),
            reverse("accounts:staff_invite"),
            reverse("accounts:staff_edit", args=[world.member.pk]),
            reverse("accounts:role_policies"),
            reverse("accounts:audit_log"),
            reverse("line:audience"),
            reverse("line:lookup"),
            reverse("line:settings"),
            reverse("line:area_edit", args=[world.area.pk]),
            reverse("line:interest_edit", args=[world.interest.pk]),
            reverse("broadcasts:list"),
            reverse("broadcasts:detail", args=[b]),
            reverse("api-docs"),
            reverse("mfa_index"),
        ],
        roles.PR_AUTHOR: [
            reverse("dashboard"),
            reverse("broadcasts:list"),
            reverse("broadcasts:new"),
            reverse("broadcasts:emergency_new"),
            reverse("broadcasts:detail", args=[b]),
            reverse("broadcasts:edit", args=[b]),
            reverse("broadcasts:detail", args=[world.pending.pk]),
        ],
        roles.PR_APPROVER: [
            reverse("broadcasts:approvals"),
            reverse("broadcasts:review", args=[world.pending.pk]),
            reverse("broadcasts:detail", args=[world.pending.pk]),
        ],
        roles.ROAD: [
            reverse("dashboard"),
            reverse("roads:queue"),
            reverse("roads:detail", args=[r]),
            reverse("roads:stats"),
            reverse("roads:settings", kwargs={"kind": "categories"}),
        ],
        roles.WASTE: [
            reverse("dashboard"),
            reverse("bulky:queue"),
            reverse("bulky:booking", args=[k]),
            reverse("bulky:calendar"),
            reverse("bulky:routes") + f"?area={world.collection_area.pk}&date={world.booking.collection_date.isoformat()}",
            reverse("bulky:setup"),
            reverse("bulky:items"),
            reverse("bulky:item-edit", args=[world.item.pk]),
            reverse("bulky:areas"),
            reverse("bulky:closures"),
        ],
        roles.AUDITOR: [reverse("accounts:audit_log"), reverse("broadcasts:list")],
    }


@pytest.mark.django_db
def test_every_main_page_passes_the_policy(portal_world):
    problems: list[str] = []
    checked = 0
    for role, paths in _main_pages(portal_world).items():
        client = Client()
        client.force_login(portal_world.users[role])
        for path in paths:
            problems += _check_page(client.get(path), f"{role} {path}")
            checked += 1
    anonymous = Client()
    for name in ("account_login", "account_reset_password"):
        problems += _check_page(anonymous.get(reverse(name)), f"anonymous {name}")
        checked += 1
    assert checked > 40
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db
def test_resident_booking_pages_pass_the_policy(portal_world):
    from intake.bulky import services

    client = Client()
    link = services.link_issue(resident=portal_world.resident)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    problems = []
    if response.status_code == 200:  # a confirmation page, consumed on POST
        problems += _check_page(response, "resident link page")
        response = client.post("/" + path)
    assert response.status_code == 302, response.status_code
    problems += _check_page(client.get(reverse("bulky:resident-book")), "resident booking form")
    problems += _check_page(client.get(reverse("bulky:resident-bookings")), "resident bookings")
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db
def test_error_pages_pass_the_policy(client, settings):
    settings.DEBUG = False
    response = client.get("/zz-no-such-page/")
    assert response.status_code == 404
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert html_problems(response.content.decode()) == []
    from django.template import loader

    assert html_problems(loader.get_template("500.html").render()) == []


@pytest.mark.django_db
def test_every_html_page_in_the_access_table_passes_the_policy(portal_world):
    """Beyond the main pages: every URL of tests/test_access_matrix.py's table, opened by
    someone it is meant for with real objects; each HTML answer must pass the scan (a page
    added later is covered as soon as it has its row)."""
    from tests.test_access_matrix import ANONYMOUS, EXPECTED, IDENTITIES, _resolve_arg

    clients: dict[str, Client] = {}
    problems: list[str] = []
    html_pages = 0
    for name, spec in sorted(EXPECTED.items()):
        who = next((i for i in IDENTITIES if i != ANONYMOUS and i in spec.allowed), ANONYMOUS)
        if who not in clients:
            clients[who] = Client()
            if who != ANONYMOUS:
                clients[who].force_login(portal_world.users[who])
        kwargs = {key: _resolve_arg(portal_world, value) for key, value in spec.args.items()}
        response = clients[who].get(reverse(name, kwargs=kwargs))
        if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("text/html"):
            html_pages += 1
            problems += _check_page(response, f"{who} {name}")
    assert html_pages > 30
    assert problems == [], "\n".join(problems)
