"""Open311 with odd parameters (reads and a keyed write) and the bulky booking link with
garbage tokens: a clear 4xx (or an empty answer), nothing stored, never a traceback."""

from __future__ import annotations

import logging

import pytest

from intake.roads import services
from intake.roads.models import RoadReport
from portal.context import AuditContext


def _errors(caplog):
    return [f"{r.name}: {r.getMessage()[:160]}" for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.fixture
def api_key(admin_user):
    _key, raw = services.api_key_issue(name="FixMyStreet", ctx=AuditContext.system(admin_user))
    return raw


GOOD = {"service_code": "pothole", "lat": "33.5903", "long": "130.4018", "description": "歩道の段差"}


@pytest.mark.parametrize(
    "change",
    [
        {"lat": "abc"},
        {"lat": "NaN"},
        {"lat": "inf"},
        {"long": "1e309"},
        {"lat": "91"},
        {"long": "-181"},
        {"lat": ""},
        {"service_code": "pothole' OR '1'='1"},
        {"service_code": "../../etc/passwd"},
        {"service_code": ""},
        {"service_code": "x" * 10_000},
        {"description": "x" * 100_000},
        {"email": "not-an-address" * 100},
        {"address_string": "\x07\x1b" * 10},
        {"attribute[x]": "1" * 10_000},
        {"media_url": "javascript:alert(1)"},
    ],
    ids=repr,
)
def test_open311_post_with_odd_values_is_refused_or_kept_within_bounds(client, road_setup, api_key, caplog, change):
    caplog.set_level(logging.ERROR)
    response = client.post("/open311/v2/requests.json", {**GOOD, "api_key": api_key, **change})
    assert response.status_code in (201, 400), response.status_code
    assert _errors(caplog) == []
    if response.status_code == 400:
        assert RoadReport.objects.count() == 0
        assert response.json()[0]["description"]  # Open311's error format, saying what is wrong
    else:
        report = RoadReport.objects.get()
        assert -90 <= report.latitude <= 90 and -180 <= report.longitude <= 180
        assert len(report.comment) <= 10_000 and len(report.address_text) <= 10_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start_date=garbage", "end_date=2026-13-45T99:00:00Z", "start_date=99999-01-01T00:00:00Z",
        "start_date=2026-01-01T00:00:00%2B99:00", "lat=abc&long=def", "service_code=%27%3B--",
        "service_request_id=" + ",".join(["R-1"] * 5000), "status=open,closed,deleted", "page=-1", "page_size=1e9",
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_reads_with_odd_parameters_answer_cleanly(client, make_report, caplog, query, fmt):
    caplog.set_level(logging.ERROR)
    make_report()
    response = client.get(f"/open311/v2/requests.{fmt}?{query}")
    assert response.status_code in (200, 400), response.status_code
    assert _errors(caplog) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    ["zz-not-a-token", "0" * 64, "a" * 5000, "%00", "..%2F..%2Fadmin", "%E3%81%82", "%ED%A0%80", "' OR 1=1 --"],
)
def test_booking_link_with_a_garbage_token_is_refused_and_opens_no_session(client, caplog, token):
    from intake.bulky.models import Booking

    caplog.set_level(logging.ERROR)
    for method in ("get", "post"):
        response = getattr(client, method)(f"/bulky/r/link/{token}/")
        assert response.status_code in (400, 403, 404), (method, response.status_code)
    assert _errors(caplog) == []
    book = client.get("/bulky/r/")  # no resident session was opened: the "link expired" page
    assert "ページの有効期限が切れました" in book.content.decode()
    assert Booking.objects.count() == 0
