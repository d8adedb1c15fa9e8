"""Every API operation, as a role allowed to use it, sent JSON bodies a browser never
would: a lone surrogate (valid JSON, not encodable as UTF-8: neither SQLite nor PostgreSQL
can store it), NUL, a list or a string instead of an object, nulls, wrong types. Each gets
a 4xx (or is ignored), never a 500, never a traceback, and nothing of it is stored."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.test_access_matrix import ANONYMOUS, EXPECTED, _resolve_arg

API_NAMES = sorted(name for name in EXPECTED if ":api" in name)
FIELDS = [
    "title", "name", "text", "body", "message", "messages", "note", "reason", "comment", "category",
    "segment", "areas", "interests", "ages", "scheduled_at", "date", "collection_date", "version",
    "fee_yen", "size_points", "order", "accepted", "is_active", "refusal_reason", "everyone", "audience",
    "exclude", "emergency", "send_mode", "image", "alt_text", "kind", "status", "bubbles", "quantity",
]  # fmt: skip
BODIES = {
    "surrogate": lambda: "{" + ", ".join(f'"{f}": "\\ud800x"' for f in FIELDS) + "}",
    "surrogate-key": lambda: '{"\\udfff": 1, "title": "a"}',
    "nul": lambda: json.dumps({f: "a\x00b" for f in FIELDS}),
    "nul-in-list": lambda: json.dumps({f: ["a\x00b"] for f in FIELDS}),
    "list": lambda: json.dumps([1, 2, 3]),
    "string": lambda: json.dumps("ただの文字列"),
    "number": lambda: "5",
    "nulls": lambda: json.dumps(dict.fromkeys(FIELDS)),
    "numbers": lambda: json.dumps(dict.fromkeys(FIELDS, 99999999999999999999)),
    "objects": lambda: json.dumps({f: {"a": {"b": [1]}} for f in FIELDS}),
    "not-json": lambda: "{not json",
    "deep": lambda: "[" * 100_000 + "]" * 100_000,
}


def _errors(caplog):
    return [f"{r.name}: {r.getMessage()[:160]}" for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BODIES))
def test_hostile_json_bodies_get_a_4xx(portal_world, caplog, kind):
    caplog.set_level(logging.ERROR)
    clients: dict[str, Client] = {}
    failures = []
    body = BODIES[kind]().encode("utf-8", "surrogatepass")
    for name in API_NAMES:
        spec = EXPECTED[name]
        who = sorted(spec.allowed - {ANONYMOUS})[0]
        if who not in clients:
            clients[who] = Client(raise_request_exception=False)
            clients[who].force_login(portal_world.users[who])
        kwargs = {key: _resolve_arg(portal_world, value) for key, value in spec.args.items()}
        path = reverse(name, kwargs=kwargs) if kwargs else reverse(name)
        for method in ("post", "put", "patch"):
            caplog.clear()
            with transaction.atomic():
                response = getattr(clients[who], method)(path, body, content_type="application/json")
                transaction.set_rollback(True)
            if response.status_code >= 500 or _errors(caplog):
                failures.append(f"{name} {method.upper()} {path} as {who}: {response.status_code} {_errors(caplog)[:1]}")
    assert failures == [], "\n".join(failures)
