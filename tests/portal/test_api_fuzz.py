"""schemathesis against /api/schema/: every API operation, fuzzed as a signed-in staff member
of each role, never answers with a server error (5xx).

The schema is read from the portal itself (as a signed-in staff member), requests go to the
WSGI application in-process (the test's database, with one real object of each kind: path
parameters are fuzzed and also set to those objects' ids). Examples per operation and role
are bounded so the whole walk stays well under a minute.
"""

from __future__ import annotations

import contextlib
import os
import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import roles

# Per operation and role that may use it (random and real ids); 1 for roles it refuses.
# API_FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
ROLES = [*roles.ROLE_ORDER, "none"]
CSRF = "ops0fuzz0csrf0token0abcdefghijkl"  # a 32-character CSRF secret, cookie and header alike


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _real_ids(world) -> list[tuple[re.Pattern, int]]:
    """Which real object a path's ``{pk}``/``{id}`` takes, by the path's shape."""
    return [
        (re.compile(r"/broadcasts/api/broadcasts/\{[^}]+\}/(approve|return|retry)/"), world.pending.pk),
        (re.compile(r"/broadcasts/api/(broadcasts|drafts)/\{"), world.draft.pk),
        (re.compile(r"/bulky/api/bookings/\{"), world.booking.pk),
        (re.compile(r"/bulky/api/items/\{"), world.item.pk),
    ]


def _load_schema(world):
    client = Client()
    client.force_login(world.users[roles.ADMIN])
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.status_code
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = get_wsgi_application()
    return schema


@contextlib.contextmanager
def wsgi_keeps_the_test_connection():
    """The real WSGI handler closes the database connection around each request (and the
    test's transaction with it); Django's test client disconnects that signal, so do we.
    (Any use of the test client inside reconnects it: none happens inside.)"""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_api_operation_answers_with_a_server_error(portal_world):
    schema = _load_schema(portal_world)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    cookies = {who: _session_cookie(portal_world.users[who]) for who in ROLES}
    real_ids = _real_ids(portal_world)
    failures: list[str] = []
    calls = {"n": 0}
    statuses: list[int] = []

    def prober(operation, who: str, real: int | None, examples: int):
        headers = {"X-CSRFToken": CSRF, "Accept": "application/json"}
        jar = {"sessionid": cookies[who], "csrftoken": CSRF}

        @settings(max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), use_real=st.booleans())
        def probe(case, use_real):
            if use_real and real is not None and case.path_parameters:
                case.path_parameters = dict.fromkeys(case.path_parameters, real)
            response = case.call(headers=headers, cookies=jar)
            calls["n"] += 1
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{operation.label} as {who}: {response.status_code}\n    {case.as_curl_command()}")

        return probe

    with wsgi_keeps_the_test_connection():
        for operation in operations:
            real = next((pk for pattern, pk in real_ids if pattern.search(operation.path)), None)
            for who in ROLES:
                statuses: list[int] = []
                prober(operation, who, real, 1)()
                if statuses != [403]:  # the role may use it: fuzz it properly
                    prober(operation, who, real, EXAMPLES)()
    assert calls["n"] > len(operations) * len(ROLES)
    assert not failures, "server errors:\n" + "\n".join(dict.fromkeys(failures))


@pytest.mark.django_db
def test_what_the_fuzzer_found_stays_fixed(client, make_staff):
    """schemathesis found these 500s; each now answers 400 with the field named."""
    client.force_login(make_staff(roles.WASTE))
    response = client.post(
        "/bulky/api/items/", {"name": "椅子", "fee_yen": 0, "size_points": 0, "order": 1}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "size_points" in response.json()
