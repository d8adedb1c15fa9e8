"""Every page and API endpoint, opened by someone allowed to use it, with hostile query
parameters and form values: a clear answer (2xx/3xx/4xx), never a server error, never a
traceback in the log."""

from __future__ import annotations

import logging
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.test_access_matrix import ANONYMOUS, EXPECTED, _portal_urls, _resolve_arg

HOSTILE = ["-1", "abc", "99999999999999999999", "2026-13-45", "\x00", "1e309", "[]"]
PARAMS = [
    "page",
    "date",
    "date_from",
    "date_to",
    "from",
    "to",
    "start",
    "end",
    "start_date",
    "end_date",
    "status",
    "category",
    "area",
    "q",
    "actor",
    "action",
    "ordering",
    "limit",
    "offset",
    "page_size",
    "lat",
    "long",
    "lng",
    "radius",
    "service_code",
    "service_request_id",
    "kind",
    "week",
    "month",
    "year",
    "day",
    "id",
    "pk",
    "assignee",
    "priority",
    "state",
    "sort",
    "format",
    "next",
    "segment",
    "ward",
    "interest",
    "age",
    "item",
    "collection_date",
    "number",
    "version",
    "since",
    "cursor",
    "bbox",
]


def _targets(world):
    for name in sorted(_portal_urls()):
        spec = EXPECTED.get(name)
        if spec is None or name == "line:webhook":
            continue
        kwargs = {key: _resolve_arg(world, value) for key, value in spec.args.items()}
        path = reverse(name, kwargs=kwargs) if kwargs else reverse(name)
        who = ANONYMOUS if ANONYMOUS in spec.allowed else sorted(spec.allowed)[0]
        yield name, path, who


def _errors(caplog):
    return [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:20])
def test_hostile_query_parameters_never_crash_a_page(portal_world, caplog, value):
    caplog.set_level(logging.ERROR)
    clients: dict[str, Client] = {}
    failures = []
    query = {p: value for p in PARAMS}
    for name, path, who in _targets(portal_world):
        if who not in clients:
            clients[who] = Client(raise_request_exception=False)
            if who != ANONYMOUS:
                clients[who].force_login(portal_world.users[who])
        for method in ("get", "post"):
            caplog.clear()
            with transaction.atomic():
                if method == "get":
                    response = clients[who].get(path, query)
                else:
                    response = clients[who].post(path, query)
                transaction.set_rollback(True)
            if response.status_code >= 500 or _errors(caplog):
                failures.append(f"{name} {method.upper()} {path} as {who}: {response.status_code} {_errors(caplog)[:1]}")
    assert failures == [], "\n".join(failures)


FORM_VALUES = ["x" * 20_000, "-1", "2147483648", "9223372036854775807", "2026-13-45"]
NAME = re.compile(r'name="([^"]+)"')


@pytest.mark.django_db
@pytest.mark.parametrize("value", FORM_VALUES, ids=lambda v: repr(v)[:20])
def test_hostile_form_values_never_crash_a_view(portal_world, caplog, value):
    """Every field a page's own forms name (plus the common filter names), filled with a
    hostile value and posted back (and sent as a query): never a 500 or a traceback."""
    caplog.set_level(logging.ERROR)
    clients: dict[str, Client] = {}
    failures = []
    for name, path, who in _targets(portal_world):
        if who not in clients:
            clients[who] = Client(raise_request_exception=False)
            if who != ANONYMOUS:
                clients[who].force_login(portal_world.users[who])
        client = clients[who]
        with transaction.atomic():
            page = client.get(path)
            transaction.set_rollback(True)
        fields = set(PARAMS)
        if page.status_code == 200 and "html" in page.get("Content-Type", ""):
            fields |= set(NAME.findall(page.content.decode())) - {"csrfmiddlewaretoken"}
        data = {f: value for f in fields}
        for method in ("get", "post"):
            caplog.clear()
            with transaction.atomic():
                response = getattr(client, method)(path, data)
                transaction.set_rollback(True)
            if response.status_code >= 500 or _errors(caplog):
                failures.append(f"{name} {method.upper()} {path} as {who}: {response.status_code} {_errors(caplog)[:1]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path, data",
    [
        ("get", "/open311/v2/requests.json", {"service_code": "pothole\x00"}),
        ("get", "/open311/v2/requests.json", {"service_request_id": "\x00"}),
        ("get", "/roads/export.csv", {"q": "\x00"}),
        ("get", "/roads/", {"status": "new\x00"}),
        ("post", "/bulky/setup/", {"payment_note": "現金\x00"}),
        ("post", "/roads/bulk/", {"next": "/roads/\x00"}),
    ],
)
def test_nul_in_a_parameter_is_a_clear_400_and_nothing_is_stored(portal_world, caplog, method, path, data):
    """PostgreSQL cannot store NUL (a filter or the export's audit entry quoting it failed
    with a 500 there; SQLite kept it): refused before any view, with nothing audited."""
    from accounts import roles
    from accounts.models import AuditEntry

    caplog.set_level(logging.ERROR)
    client = Client(raise_request_exception=False)
    client.force_login(portal_world.users[roles.ROAD if path.startswith("/roads") else roles.ADMIN])
    before = AuditEntry.objects.count()
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert AuditEntry.objects.count() == before
    assert _errors(caplog) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {f"f{i}": "1" for i in range(1200)}},  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        {"data": {"payment_note": "x" * (13 * 1024 * 1024)}},  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        {"data": {}, "HTTP_HOST": "evil.example"},  # not in ALLOWED_HOSTS
    ],
    ids=["too-many-fields", "body-too-big", "bad-host"],
)
def test_requests_django_refuses_get_a_400_and_no_traceback_in_the_log(admin_client, caplog, request_kwargs):
    """Django logs these on django.security.* at ERROR with the exception's traceback: one
    WARNING line instead, so hostile requests cannot fill the log with tracebacks."""
    caplog.set_level(logging.INFO)
    admin_client.raise_request_exception = False
    response = admin_client.post("/bulky/setup/", **request_kwargs)
    assert response.status_code == 400
    assert _errors(caplog) == []
    assert [r for r in caplog.records if r.name.startswith("django.security.")]  # still said, once, as a warning
