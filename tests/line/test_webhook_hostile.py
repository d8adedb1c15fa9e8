"""Hostile webhook bodies: each gets a clear 4xx (LINE's convention: 400 for a bad
signature), nothing is stored, and nothing but a one-line warning reaches the log."""

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.line.devtools import simulate
from portal.line.models import Resident, WebhookEvent

USER = simulate.user_id_for("hostile")


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def _signed(body: bytes, settings) -> str:
    return simulate.signature(body, settings.LINE_CHANNEL_SECRET)


def _assert_refused(response, log, status: int | tuple[int, ...] = 400) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.content
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["message"]
    assert WebhookEvent.objects.count() == 0
    assert not Resident.objects.exists()
    assert not [r for r in log.records if r.exc_info or r.levelno >= logging.ERROR], [r.getMessage() for r in log.records]


@pytest.mark.parametrize("header", ["署名", "ÿÿÿÿ", "a" * 44 + "é", "\x00"])
def test_non_ascii_signature_is_a_clean_400(line_resident, log, header):
    body = simulate.callback_body([simulate.follow_event(USER)])
    _assert_refused(line_resident.post_raw(body, header), log)


def test_signature_compared_on_bytes_still_accepts_the_right_one(line_resident, settings):
    body = simulate.callback_body([simulate.text_event(USER, "道路に穴があります")])
    assert line_resident.post_raw(body, _signed(body, settings)).status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("depth", [17, 5000, 200_000])
def test_deeply_nested_signed_json_is_a_clean_400(line_resident, settings, log, depth):
    event = simulate.text_event(USER, "x")
    raw = json.dumps({"destination": "U" + "0" * 32, "events": [event]})
    nested = "[" * depth + "]" * depth
    body = raw.replace('"text": "x"', f'"text": "x", "extra": {nested}').encode()
    _assert_refused(line_resident.post_raw(body, _signed(body, settings)), log, (400, 413))


def test_nesting_counts_brackets_outside_strings_only(line_resident, settings):
    text = '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{ 括弧だらけの通報 " [['
    response = line_resident.post_events([simulate.text_event(USER, text)])
    assert response.status_code == 200
    assert WebhookEvent.objects.get().state == WebhookEvent.State.DONE


def test_a_9_mb_text_event_is_refused_and_not_stored(line_resident, settings, log):
    body = simulate.callback_body([simulate.text_event(USER, "あ" * 3_000_000)])  # 9 MB of UTF-8
    assert len(body) > 9_000_000
    _assert_refused(line_resident.post_raw(body, _signed(body, settings)), log, 413)


def test_a_text_longer_than_line_allows_is_refused_even_in_a_small_body(line_resident, settings, log):
    events = [simulate.text_event(USER, "x" * 10_001)]
    _assert_refused(line_resident.post_events(events), log)
    assert line_resident.post_events([simulate.text_event(USER, "x" * 10_000)]).status_code == 200


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(webhookEventId="x" * 65),
        lambda e: e.update(webhookEventId=None),
        lambda e: e.update(type=["message"]),
        lambda e: e.update(message="こんにちは"),
        lambda e: e["message"].update(id="../../v2/bot/message/push"),
        lambda e: e["message"].update(text={"nested": "dict"}),
        lambda e: e.update(source={"type": "user", "userId": "Udemo0001"}),
        lambda e: e.update(source="user"),
        lambda e: e.update(timestamp="yesterday"),
        lambda e: e.update(deliveryContext={"isRedelivery": "yes"}),
        lambda e: e.update(replyToken="r" * 1000),
        lambda e: e.update(padding=["x"] * 1001),
        lambda e: e.update(padding="x" * 10_001),
    ],
)
def test_events_line_would_not_send_refuse_the_body(line_resident, settings, log, mutate):
    bad = simulate.text_event(USER, "こんにちは")
    mutate(bad)
    body = simulate.callback_body([simulate.follow_event(USER), bad])
    _assert_refused(line_resident.post_raw(body, _signed(body, settings)), log)


def test_postback_and_location_limits(line_resident, log):
    _assert_refused(line_resident.post_events([simulate.postback_event(USER, "d" * 301)]), log)
    _assert_refused(line_resident.post_events([simulate.postback_event(USER, "d", params={"date": "x" * 101})]), log)
    _assert_refused(line_resident.post_events([simulate.location_event(USER, 91.0, 130.4)]), log)
    assert line_resident.post_events([simulate.postback_event(USER, "d" * 300)]).status_code == 200


def test_too_many_events_in_one_body_are_refused(line_resident, settings, log):
    events = [simulate.text_event(USER, f"{n}") for n in range(settings.LINE_WEBHOOK_MAX_EVENTS + 1)]
    _assert_refused(line_resident.post_events(events), log, 413)
    assert line_resident.post_events(events[:-1]).status_code == 200
    assert WebhookEvent.objects.count() == settings.LINE_WEBHOOK_MAX_EVENTS


def test_a_body_declared_too_large_is_refused_before_reading(db, client, settings, log):
    response = client.generic(
        "POST", "/line/webhook", b"{}", content_type="application/json",
        HTTP_X_LINE_SIGNATURE="x", CONTENT_LENGTH=str(settings.LINE_WEBHOOK_MAX_BODY_BYTES + 1),
    )  # fmt: skip
    _assert_refused(response, log, 413)


def test_events_are_inserted_in_chunks_sqlite_can_take(line_resident, settings):
    """SQLite refuses a statement with more variables than its limit (999 in older builds):
    many events in one body are inserted a chunk at a time."""
    settings.LINE_WEBHOOK_MAX_EVENTS = 400
    settings.LINE_WEBHOOK_MAX_BODY_BYTES = 10 * 1024 * 1024
    events = [simulate.unfollow_event(simulate.user_id_for(f"chunk-{n}")) for n in range(400)]
    with CaptureQueriesContext(connection) as queries:
        assert line_resident.post_events(events).status_code == 200
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT INTO line_webhookevent")]
    assert len(inserts) > 1
    assert all(sql.count("), (") + 1 <= 999 // 6 for sql in inserts)
    assert WebhookEvent.objects.count() == 400


def test_refusals_never_quote_the_body(line_resident, settings, log):
    secret_key = "山田花子 福岡市中央区天神1-1-1"
    for extra in ({secret_key: "x" * 10_001}, {secret_key * 10: "x"}):
        event = simulate.text_event(USER, "住所は秘密です")
        event["message"].update(extra)
        body = simulate.callback_body([event])
        response = line_resident.post_raw(body, _signed(body, settings))
        _assert_refused(response, log)
        said = json.loads(response.content)["message"] + " ".join(r.getMessage() for r in log.records)
        assert "山田" not in said and "秘密" not in said and USER not in said
