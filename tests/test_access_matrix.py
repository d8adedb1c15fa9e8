"""Who may open what: an explicit table, checked against the server for every role.

``EXPECTED`` pins, for every URL name of the portal, the set of people who may use it
(staff of a role, ``"none"`` = a signed-in staff member with no role, ``"anonymous"``), and
which real object each URL parameter takes. It is written here by hand and never read
from the views' own declarations, so a view whose permission is widened (or dropped to
public) makes this test fail.

For every URL and every identity the test sends a GET and a POST with real objects (a
broadcast, a road report and its photo, a bulky booking, a staff member, …) and checks:
denied (403, 401 or a redirect to sign-in) exactly for those outside the row. Each request
runs in a savepoint that is rolled back, so one identity's POST changes nothing for the next.

Public names are an explicit allowlist (``PUBLIC_NAMES``); every public view is probed
anonymously and must answer without a sign-in redirect or a server error.

A new URL needs a row here: the test names it when it is missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles
from portal import access

ADMIN, AUTHOR, APPROVER, ROAD, WASTE, AUDITOR = (
    roles.ADMIN,
    roles.PR_AUTHOR,
    roles.PR_APPROVER,
    roles.ROAD,
    roles.WASTE,
    roles.AUDITOR,
)
NONE = "none"  # signed in, no role
ANONYMOUS = "anonymous"
IDENTITIES = [ANONYMOUS, ADMIN, AUTHOR, APPROVER, ROAD, WASTE, AUDITOR, NONE]
STAFF = frozenset({ADMIN, AUTHOR, APPROVER, ROAD, WASTE, AUDITOR, NONE})
EVERYONE = frozenset(IDENTITIES)

# Third-party URL sets that carry their own access rules (allauth, Django admin, set_language).
EXTERNAL_PREFIXES = ("accounts/", "django-admin/", "i18n/")


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    # URL kwarg -> "attr.attr" of the portal_world fixture, or "=literal".
    args: dict[str, str] = field(default_factory=dict)


def row(*who: str, **args: str) -> Row:
    return Row(frozenset(who), args)


def public(**args: str) -> Row:
    return Row(EVERYONE, args)


BROADCAST_READERS = (ADMIN, AUTHOR, APPROVER, AUDITOR)
QUESTION_READERS = (ADMIN, AUTHOR, APPROVER, WASTE, AUDITOR)

EXPECTED: dict[str, Row] = {
    # shell
    "dashboard": row(*STAFF),
    "healthz": public(),
    "retention": row(ADMIN, AUDITOR),
    "api-schema": row(*STAFF),
    "api-docs": row(*STAFF),
    # accounts: staff management for admins; the audit log for admins and auditors
    "accounts:staff_list": row(ADMIN),
    "accounts:staff_invite": row(ADMIN),
    "accounts:staff_edit": row(ADMIN, pk="member.pk"),
    "accounts:staff_deactivate": row(ADMIN, pk="member.pk"),
    "accounts:staff_reactivate": row(ADMIN, pk="member.pk"),
    "accounts:staff_mfa_reset": row(ADMIN, pk="member.pk"),
    "accounts:staff_invitation_resend": row(ADMIN, pk="member.pk"),
    "accounts:role_policies": row(ADMIN),
    "accounts:audit_log": row(ADMIN, AUDITOR),
    "accounts:audit_export": row(ADMIN, AUDITOR),
    "accounts:invitation_accept": public(uidb64="=MQ", token="=zz-not-a-token"),
    # LINE layer: the webhook checks its own signature; counts for PR staff and admins
    "line:webhook": public(),
    "line:audience": row(ADMIN, AUTHOR, APPROVER),
    "line:lookup": row(ADMIN),
    "line:settings": row(ADMIN),
    "line:area_create": row(ADMIN),
    "line:area_edit": row(ADMIN, pk="area.pk"),
    "line:interest_create": row(ADMIN),
    "line:interest_edit": row(ADMIN, pk="interest.pk"),
    "line:dimensions": row(ADMIN),
    "line:dimension_create": row(ADMIN),
    "line:dimension_edit": row(ADMIN, pk="dimension.pk"),
    "line:dimension_move": row(ADMIN, pk="dimension.pk"),
    "line:option_create": row(ADMIN, pk="dimension.pk"),
    "line:option_edit": row(ADMIN, pk="dimension_option.pk"),
    "line:option_move": row(ADMIN, pk="dimension_option.pk"),
    # broadcasts: authors write, approvers approve (never the other way), admins and
    # auditors read
    "broadcasts:list": row(*BROADCAST_READERS),
    # results dashboard: PR roles, admins and auditors read (the audience part: view_audience only)
    "broadcasts:results": row(*BROADCAST_READERS),
    "broadcasts:results_data": row(*BROADCAST_READERS),
    "broadcasts:results_csv": row(*BROADCAST_READERS),
    "broadcasts:new": row(AUTHOR),
    "broadcasts:emergency_new": row(AUTHOR),
    "broadcasts:approvals": row(APPROVER),
    "broadcasts:detail": row(*BROADCAST_READERS, pk="draft.pk"),
    "broadcasts:edit": row(AUTHOR, pk="draft.pk"),
    "broadcasts:progress": row(*BROADCAST_READERS, pk="draft.pk"),
    "broadcasts:submit": row(AUTHOR, pk="draft.pk"),
    "broadcasts:approve": row(APPROVER, pk="pending.pk"),
    "broadcasts:return": row(APPROVER, pk="pending.pk"),
    "broadcasts:schedule": row(AUTHOR, pk="draft.pk"),
    "broadcasts:cancel": row(AUTHOR, pk="draft.pk"),
    "broadcasts:send": row(AUTHOR, pk="draft.pk"),
    "broadcasts:retry": row(APPROVER, pk="pending.pk"),
    "broadcasts:delete": row(AUTHOR, pk="draft.pk"),
    # テスト配信 and linking one's own LINE test account: PR staff, authors and approvers
    "broadcasts:test_send": row(AUTHOR, APPROVER, pk="draft.pk"),
    "broadcasts:test_account": row(AUTHOR, APPROVER),
    "broadcasts:review": row(APPROVER, pk="pending.pk"),
    "broadcasts:media": public(token=f"={uuid.UUID(int=1)}", variant="=preview"),
    "broadcasts:api_list": row(*BROADCAST_READERS),
    "broadcasts:api_detail": row(*BROADCAST_READERS, pk="draft.pk"),
    "broadcasts:api_estimate": row(ADMIN, AUTHOR, APPROVER),
    "broadcasts:api_draft_create": row(AUTHOR),
    "broadcasts:api_draft_update": row(AUTHOR, pk="draft.pk"),
    "broadcasts:api_submit": row(AUTHOR, pk="draft.pk"),
    "broadcasts:api_approve": row(APPROVER, pk="pending.pk"),
    "broadcasts:api_return": row(APPROVER, pk="pending.pk"),
    "broadcasts:api_schedule": row(AUTHOR, pk="draft.pk"),
    "broadcasts:api_cancel": row(AUTHOR, pk="draft.pk"),
    "broadcasts:api_send": row(AUTHOR, pk="draft.pk"),
    "broadcasts:api_retry": row(APPROVER, pk="pending.pk"),
    # recurring broadcasts: authors write, approvers approve; both may pause, resume, skip
    # one date or end a series; admins and auditors read
    "recurring:list": row(*BROADCAST_READERS),
    "recurring:calendar": row(*BROADCAST_READERS),
    "recurring:new": row(AUTHOR),
    "recurring:detail": row(*BROADCAST_READERS, pk="series.pk"),
    "recurring:edit": row(AUTHOR, pk="series.pk"),
    "recurring:submit": row(AUTHOR, pk="series.pk"),
    "recurring:approve": row(APPROVER, pk="series.pk"),
    "recurring:return": row(APPROVER, pk="series.pk"),
    "recurring:pause": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:resume": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:skip": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:end": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:delete": row(AUTHOR, pk="series.pk"),
    # its API: the same rows as the pages
    "recurring:api_list": row(*BROADCAST_READERS),
    "recurring:api_detail": row(*BROADCAST_READERS, pk="series.pk"),
    "recurring:api_submit": row(AUTHOR, pk="series.pk"),
    "recurring:api_approve": row(APPROVER, pk="series.pk"),
    "recurring:api_return": row(APPROVER, pk="series.pk"),
    "recurring:api_pause": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:api_resume": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:api_skip": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:api_end": row(AUTHOR, APPROVER, pk="series.pk"),
    "recurring:api_delete": row(AUTHOR, pk="series.pk"),
    # rich menus: PR authors build and register; PR approvers decide what residents see;
    # 災害時モード for admins and PR approvers; admins and auditors read
    "richmenus:list": row(*BROADCAST_READERS),
    "richmenus:new": row(AUTHOR),
    "richmenus:detail": row(*BROADCAST_READERS, pk="richmenu.pk"),
    "richmenus:edit": row(AUTHOR, pk="richmenu.pk"),
    "richmenus:image": row(*BROADCAST_READERS, pk="richmenu.pk"),
    "richmenus:register": row(AUTHOR, pk="richmenu.pk"),
    "richmenus:delete": row(AUTHOR, pk="richmenu.pk"),
    "richmenus:set_default": row(APPROVER, pk="richmenu.pk"),
    "richmenus:mark_disaster": row(APPROVER, pk="richmenu.pk"),
    "richmenus:unmark_disaster": row(APPROVER, pk="richmenu.pk"),
    "richmenus:link_segment": row(APPROVER, pk="richmenu.pk"),
    "richmenus:segment_remove": row(APPROVER, pk="richmenu_segment.pk"),
    "richmenus:disaster": row(ADMIN, APPROVER),
    "richmenus:disaster_switch": row(ADMIN, APPROVER),
    "richmenus:disaster_progress": row(ADMIN, APPROVER),
    "richmenus:api_list": row(*BROADCAST_READERS),
    "richmenus:api_detail": row(*BROADCAST_READERS, pk="richmenu.pk"),
    "richmenus:api_register": row(AUTHOR, pk="richmenu.pk"),
    "richmenus:api_set_default": row(APPROVER, pk="richmenu.pk"),
    "richmenus:api_mark_disaster": row(APPROVER, pk="richmenu.pk"),
    "richmenus:api_unmark_disaster": row(APPROVER, pk="richmenu.pk"),
    "richmenus:api_link_segment": row(APPROVER, pk="richmenu.pk"),
    "richmenus:api_delete": row(AUTHOR, pk="richmenu.pk"),
    # road reports: the road team; admins manage API keys and share the reference settings
    "roads:queue": row(ROAD),
    "roads:export": row(ROAD),
    "roads:bulk": row(ROAD),
    "roads:stats": row(ROAD),
    "roads:areas_geojson": row(ROAD),
    "roads:detail": row(ROAD, pk="report.pk"),
    "roads:change_status": row(ROAD, pk="report.pk"),
    "roads:reply": row(ROAD, pk="report.pk"),
    "roads:public_info": row(ROAD, pk="report.pk"),
    "roads:assign": row(ROAD, pk="report.pk"),
    "roads:add_note": row(ROAD, pk="report.pk"),
    "roads:merge": row(ROAD, pk="report.pk"),
    "roads:dismiss_duplicate": row(ROAD, pk="report.pk"),
    "roads:privacy": row(ROAD, pk="report.pk"),
    "roads:use_hint": row(ROAD, pk="report.pk"),
    "roads:photo_edit": row(ROAD, pk="photo.pk"),
    "roads:photo": row(ROAD, pk="photo.pk", variant="=full"),
    "roads:public_photo": public(token="photo.public_token", variant="=full"),
    "roads:api_keys": row(ADMIN),
    "roads:api_key_revoke": row(ADMIN, pk="api_key.pk"),
    "roads:settings_home": row(ADMIN, ROAD),
    "roads:settings": row(ADMIN, ROAD, kind="=categories"),
    "roads:settings_edit": row(ADMIN, ROAD, kind="=categories", pk="category.pk"),
    # Open311: public by design (keys checked by the view for writes)
    "open311:services": public(fmt="=json"),
    "open311:service_definition": public(code="category.code", fmt="=json"),
    "open311:requests": public(fmt="=json"),
    "open311:request_detail": public(request_id="report.reference", fmt="=json"),
    # bulky waste: the waste desk; admins share the catalogue set-up
    "bulky:queue": row(WASTE),
    "bulky:booking": row(WASTE, pk="booking.pk"),
    "bulky:booking-approve": row(WASTE, pk="booking.pk"),
    "bulky:booking-reject": row(WASTE, pk="booking.pk"),
    "bulky:booking-reschedule": row(WASTE, pk="booking.pk"),
    "bulky:booking-collect": row(WASTE, pk="booking.pk"),
    "bulky:booking-cancel": row(WASTE, pk="booking.pk"),
    "bulky:booking-note": row(WASTE, pk="booking.pk"),
    "bulky:calendar": row(WASTE),
    "bulky:routes": row(WASTE),
    "bulky:routes-csv": row(WASTE),
    "bulky:setup": row(ADMIN, WASTE),
    "bulky:items": row(ADMIN, WASTE),
    "bulky:item-new": row(ADMIN, WASTE),
    "bulky:item-edit": row(ADMIN, WASTE, pk="item.pk"),
    "bulky:areas": row(ADMIN, WASTE),
    "bulky:area-edit": row(ADMIN, WASTE, pk="collection_area.pk"),
    "bulky:closures": row(ADMIN, WASTE),
    "bulky:closure-delete": row(ADMIN, WASTE, pk="closure.pk"),
    "bulky:api-availability": row(WASTE),
    "bulky:api-item-list": row(ADMIN, WASTE),
    "bulky:api-item-detail": row(ADMIN, WASTE, pk="item.pk"),
    "bulky:api-booking-list": row(WASTE),
    "bulky:api-booking-detail": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-approve": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-cancel": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-collect": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-note": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-reject": row(WASTE, pk="booking.pk"),
    "bulky:api-booking-reschedule": row(WASTE, pk="booking.pk"),
    # よくある質問・ごみ分別: 広報担当 edit and publish the Q&A base, 廃棄物担当 import the ごみ分別
    # dictionary; both, admins, approvers and auditors read (試してみる and exports included)
    "questions:entries": row(*QUESTION_READERS),
    "questions:entry": row(*QUESTION_READERS, pk="faq_entry.pk"),
    "questions:entry-new": row(AUTHOR),
    "questions:entry-edit": row(AUTHOR, pk="faq_entry.pk"),
    "questions:entry-withdraw": row(AUTHOR, pk="faq_entry.pk"),
    "questions:entry-restore": row(AUTHOR, pk="faq_entry.pk"),
    "questions:base": row(*QUESTION_READERS, pk="faq_base.pk"),
    "questions:publish": row(AUTHOR, pk="faq_base.pk"),
    "questions:try": row(*QUESTION_READERS),
    "questions:export": row(*QUESTION_READERS),
    "questions:import": row(AUTHOR),
    "questions:gomi": row(*QUESTION_READERS),
    "questions:gomi-export": row(*QUESTION_READERS),
    "questions:gomi-import": row(WASTE),
    # its API: the same rows as the pages
    "questions:api-entries": row(*QUESTION_READERS),
    "questions:api-entry": row(*QUESTION_READERS, pk="faq_entry.pk"),
    "questions:api-base": row(*QUESTION_READERS, pk="faq_base.pk"),
    "questions:api-entry-withdraw": row(AUTHOR, pk="faq_entry.pk"),
    "questions:api-entry-restore": row(AUTHOR, pk="faq_entry.pk"),
    "questions:api-publish": row(AUTHOR, pk="faq_base.pk"),
    # staff inbox: those who handle inquiries (PR, roads, waste); auditors read
    "inbox:list": row(AUTHOR, ROAD, WASTE, AUDITOR),
    "inbox:detail": row(AUTHOR, ROAD, WASTE, AUDITOR, pk="inquiry.pk"),
    "inbox:inquiry-start": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:inquiry-assign": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:inquiry-close": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:inquiry-reopen": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:inquiry-reply": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:inquiry-note": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    # its API: the same rows as the pages
    "inbox:api_list": row(AUTHOR, ROAD, WASTE, AUDITOR),
    "inbox:api_detail": row(AUTHOR, ROAD, WASTE, AUDITOR, pk="inquiry.pk"),
    "inbox:api_start": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:api_assign": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:api_close": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:api_reopen": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:api_reply": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    "inbox:api_note": row(AUTHOR, ROAD, WASTE, pk="inquiry.pk"),
    # residents' booking pages: public, guarded by the single-use link's session
    "bulky:resident-link": public(token="=zz-not-a-token"),
    "bulky:resident-book": public(),
    "bulky:resident-bookings": public(),
    "bulky:resident-booking": public(pk="booking.pk"),
    "bulky:resident-booking-cancel": public(pk="booking.pk"),
}

# The only names anyone may open without signing in.
PUBLIC_NAMES = frozenset(
    {
        "healthz",
        "accounts:invitation_accept",
        "line:webhook",
        "broadcasts:media",
        "roads:public_photo",
        "open311:services",
        "open311:service_definition",
        "open311:requests",
        "open311:request_detail",
        "bulky:resident-link",
        "bulky:resident-book",
        "bulky:resident-bookings",
        "bulky:resident-booking",
        "bulky:resident-booking-cancel",
    }
)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def _portal_urls() -> dict[str, tuple[str, URLPattern]]:
    """URL name (or route, for an unnamed one) -> (route, pattern), the portal's own only.
    DRF's format-suffix twins share their name and are covered by it."""
    found: dict[str, tuple[str, URLPattern]] = {}
    for route, pattern, namespace in _walk(get_resolver()):
        if route.startswith(EXTERNAL_PREFIXES):
            continue
        name = f"{namespace}{pattern.name}" if pattern.name else route
        found.setdefault(name, (route, pattern))
    return found


def _resolve_arg(world, spec: str):
    if spec.startswith("="):
        return spec[1:]
    value = world
    for part in spec.split("."):
        value = getattr(value, part)
    return value


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code in (301, 302):
        return "/accounts/login/" in response.headers.get("Location", "")
    return False


def test_every_url_has_a_row():
    urls = _portal_urls()
    missing = [f"{name} (/{route})" for name, (route, _p) in urls.items() if name not in EXPECTED]
    assert not missing, (
        "URLs with no row in tests/test_access_matrix.py EXPECTED (add one: who may open it, "
        "and which real object each parameter takes): " + ", ".join(missing)
    )
    stale = sorted(set(EXPECTED) - set(urls))
    assert not stale, f"EXPECTED rows for URLs that no longer exist: {stale}"


def test_every_row_fills_every_parameter():
    problems = []
    for name, (route, pattern) in _portal_urls().items():
        wanted = set(pattern.pattern.converters)
        given = set(EXPECTED[name].args) if name in EXPECTED else wanted
        if wanted != given:
            problems.append(f"{name} (/{route}): parameters {sorted(wanted)}, row gives {sorted(given)}")
    assert not problems, "\n".join(problems)


def test_public_rows_are_exactly_the_allowlist():
    public_rows = {name for name, r in EXPECTED.items() if ANONYMOUS in r.allowed}
    assert public_rows == PUBLIC_NAMES, (
        f"public but not allowlisted: {sorted(public_rows - PUBLIC_NAMES)}; "
        f"allowlisted but not public: {sorted(PUBLIC_NAMES - public_rows)}"
    )
    assert all(EXPECTED[name].allowed == EVERYONE for name in PUBLIC_NAMES)


def test_every_url_declares_a_permission():
    """Belt and braces: a view declaring nothing is denied to everyone by portal.access."""
    undeclared = [name for name, (_r, p) in _portal_urls().items() if access.declared_permission(p.callback) is None]
    assert undeclared == [], f"URLs with no declared permission: {undeclared}"


def test_only_allowlisted_views_declare_public():
    declared_public = {
        name for name, (_r, p) in _portal_urls().items() if access.declared_permission(p.callback) == access.PUBLIC
    }
    assert declared_public <= PUBLIC_NAMES, (
        f"views declared public but not on the allowlist: {sorted(declared_public - PUBLIC_NAMES)}"
    )


def _request(client: Client, method: str, path: str):
    with transaction.atomic():
        response = getattr(client, method)(path)
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
def test_each_role_is_allowed_exactly_its_row(portal_world):
    urls = _portal_urls()
    targets = []
    for name in sorted(urls):
        spec = EXPECTED.get(name)
        if spec is None:
            continue  # reported by test_every_url_has_a_row
        kwargs = {key: _resolve_arg(portal_world, value) for key, value in spec.args.items()}
        targets.append((name, reverse(name, kwargs=kwargs) if kwargs else reverse(name), spec))
    failures = []
    checked = 0
    # One client per identity (one sign-in each), not per URL.
    for who in IDENTITIES:
        client = Client(raise_request_exception=False)
        if who != ANONYMOUS:
            client.force_login(portal_world.users[who])
        for name, path, spec in targets:
            allowed = who in spec.allowed
            if allowed and who != ANONYMOUS and ANONYMOUS in spec.allowed:
                continue  # public views: probed anonymously below
            for method in ("get", "post"):
                response = _request(client, method, path)
                checked += 1
                if allowed and ANONYMOUS in spec.allowed:
                    # A public view answers on its own terms (a bad signature, a used link,
                    # a missing key may be refused), but never with the staff sign-in.
                    if response.status_code in (301, 302) and "/accounts/login/" in response.headers.get("Location", ""):
                        failures.append(f"{name}: {method.upper()} {path} anonymously sent to sign-in")
                    elif response.status_code >= 500:
                        failures.append(f"{name}: {method.upper()} {path} anonymously answered {response.status_code}")
                elif allowed:
                    if _denied(response):
                        failures.append(f"{name}: {method.upper()} {path} as {who} was refused ({response.status_code})")
                    elif response.status_code >= 500:
                        failures.append(f"{name}: {method.upper()} {path} as {who} answered {response.status_code}")
                elif not _denied(response):
                    failures.append(f"{name}: {method.upper()} {path} as {who} was allowed ({response.status_code})")
    assert checked > 8 * len(targets)
    assert failures == [], "\n".join(failures)
