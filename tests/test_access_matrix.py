"""Every URL declares the permission it needs, and the server enforces it for every role.

Walks the whole URL configuration. A pattern whose view declares nothing fails
``test_every_url_declares_a_permission``; for each declared pattern, every role (and an
anonymous visitor) is sent a GET and a POST, and the answer must be "denied" exactly for
those who lack the permission (403, or a redirect to sign-in for anonymous visitors).
Parameters are filled with values that match nothing, so an allowed request may answer
404 or 405, but never 403: the permission is checked before the object is looked up.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import roles
from portal import access

# Third-party URL sets that carry their own access rules.
EXTERNAL_PREFIXES = ("accounts/", "django-admin/", "i18n/")

# Pinned expectations, independent of the declarations themselves: who may open what.
PINNED = {
    "dashboard": {roles.ADMIN, roles.PR_AUTHOR, roles.PR_APPROVER, roles.ROAD, roles.WASTE, roles.AUDITOR, "none"},
    "healthz": {"anonymous", roles.ADMIN, roles.PR_AUTHOR, roles.PR_APPROVER, roles.ROAD, roles.WASTE, roles.AUDITOR, "none"},
    # accounts: staff management is for admins only; the audit log for admins and auditors
    **{
        f"accounts:{name}": {roles.ADMIN}
        for name in (
            "staff_list",
            "staff_invite",
            "staff_edit",
            "staff_deactivate",
            "staff_reactivate",
            "staff_mfa_reset",
            "staff_invitation_resend",
            "role_policies",
        )
    },
    "accounts:audit_log": {roles.ADMIN, roles.AUDITOR},
    "accounts:audit_export": {roles.ADMIN, roles.AUDITOR},
    "accounts:invitation_accept": {"anonymous", *roles.ROLE_ORDER, "none"},
}

SAMPLE_BY_CONVERTER = {
    "IntConverter": "999999",
    "StringConverter": "zz-nothing",
    "SlugConverter": "zz-nothing",
    "UUIDConverter": str(uuid.UUID(int=1)),
    "PathConverter": "zz/nothing",
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def _concrete(route: str, converters: dict) -> str | None:
    """Turn a route (``roads/<int:pk>/``) into a path with values that match nothing."""
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes are only used by third-party URL sets

    def fill(match: re.Match) -> str:
        name = match.group(2)
        converter = converters.get(name)
        return SAMPLE_BY_CONVERTER.get(type(converter).__name__, "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _patterns():
    for route, pattern, namespace in _walk(get_resolver()):
        if route.startswith(EXTERNAL_PREFIXES):
            continue
        name = f"{namespace}{pattern.name}" if pattern.name else route
        converters = dict(pattern.pattern.converters)
        # Include converters of enclosing resolvers (rare here).
        yield name, route, pattern.callback, converters


def test_every_url_declares_a_permission():
    undeclared = [name for name, _route, callback, _c in _patterns() if access.declared_permission(callback) is None]
    assert undeclared == [], f"URLs with no declared permission: {undeclared}"


def _role_users(make_staff):
    users = {code: make_staff(code) for code in roles.ROLE_ORDER}
    users["none"] = make_staff()
    return users


def _denied(response) -> bool:
    if response.status_code == 403:
        return True
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        return "/accounts/login/" in location
    return response.status_code == 401


@pytest.mark.django_db
def test_role_url_matrix(client, make_staff):
    users = _role_users(make_staff)
    declared = []
    for name, route, callback, converters in _patterns():
        permission = access.declared_permission(callback)
        path = _concrete(route, converters)
        if permission is not None and path is not None:
            declared.append((name, path, permission))
    checked = 0
    failures = []
    # One sign-in per role (not per URL): the walk stays fast as apps add URLs.
    for who in ["anonymous", *users]:
        client.logout()
        if who != "anonymous":
            client.force_login(users[who])
        user = users.get(who)
        for name, path, permission in declared:
            expected_allowed = access.user_passes(user, permission) if user else permission == access.PUBLIC
            if name in PINNED:
                assert expected_allowed == (who in PINNED[name]), f"{name}: pinned expectation for {who}"
            if permission == access.PUBLIC and who != "anonymous":
                continue  # public views answer as they see fit; asked once, anonymously, below
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                checked += 1
                if permission == access.PUBLIC:
                    continue
                if _denied(response) == expected_allowed:
                    failures.append(f"{method.upper()} {path} ({name}) as {who}: {response.status_code}")
    assert failures == [], "\n".join(failures)
    assert checked > 0
