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

HOSTILE = ["-1", "abc", "0", "99999999999999999999", "2026-13-45", "1e309", "", "\x00", "'; DROP TABLE x;--", "あ" * 3000, "[]", "null"]
PARAMS = [
    "page", "date", "date_from", "date_to", "from", "to", "start", "end", "start_date", "end_date",
    "status", "category", "area", "q", "actor", "action", "ordering", "limit", "offset", "page_size",
    "lat", "long", "lng", "radius", "service_code", "service_request_id", "kind", "week", "month", "year",
    "day", "id", "pk", "assignee", "priority", "state", "sort", "format", "next", "segment", "ward",
    "interest", "age", "item", "collection_date", "number", "version", "since", "cursor", "bbox",
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


FORM_VALUES = ["\x00" + "x" * 20_000, "-1", "2147483648", "9223372036854775807", "99999999999999999999", "2026-13-45"]
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
