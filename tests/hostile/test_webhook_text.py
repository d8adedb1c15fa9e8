"""Signed webhook bodies carrying text no database can keep (a lone surrogate: valid JSON,
not UTF-8; NUL: PostgreSQL refuses it in text and jsonb), bodies that are not an object
of events, and odd but well-formed events. Each is refused with a clear 400 and nothing
stored, or (an event type the portal does not handle) accepted and ignored; never a 500,
never a traceback."""

from __future__ import annotations

import json
import logging

import pytest

from portal.line.devtools import simulate
from portal.line.models import Resident, WebhookEvent

USER = simulate.user_id_for("hostile-text")


def _post(line_resident, settings, raw: str):
    body = raw.encode("utf-8", "surrogatepass")
    return line_resident.post_raw(body, simulate.signature(body, settings.LINE_CHANNEL_SECRET))


def _no_traceback(caplog):
    return not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _text_event(text_json: str) -> str:
    """A text event whose text is ``text_json`` (already JSON-escaped)."""
    event = json.dumps(simulate.text_event(USER, "PLACEHOLDER"))
    return (
        json.dumps({"destination": "U" + "0" * 32, "events": ["EVENT"]})
        .replace('"EVENT"', event)
        .replace('"PLACEHOLDER"', text_json)
    )


@pytest.mark.parametrize(
    "raw",
    [
        _text_event('"\\ud800 穴"'),  # lone high surrogate, JSON-escaped
        _text_event('"\\udfff"'),
        _text_event('"道路\\u0000穴"'),  # NUL, JSON-escaped
        _text_event('"ok"').replace('"type": "text"', '"type": "text", "\\u0000": "x"'),  # NUL in a key
        _text_event('"ok"').replace('"type": "text"', '"type": "text", "extra": ["\\ud83d"]'),  # half an emoji
    ],
    ids=["high-surrogate", "low-surrogate", "nul-in-text", "nul-in-key", "half-emoji-in-list"],
)
def test_text_no_database_can_keep_is_refused(line_resident, settings, caplog, raw):
    caplog.set_level(logging.INFO)
    response = _post(line_resident, settings, raw)
    assert response.status_code == 400, response.content
    assert json.loads(response.content)["message"]
    assert WebhookEvent.objects.count() == 0
    assert not Resident.objects.exists()
    assert _no_traceback(caplog)


def test_a_whole_emoji_is_kept(line_resident, settings):
    response = _post(line_resident, settings, _text_event('"\\ud83d\\udea7 道路に穴"'))
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    ["[]", '"events"', "5", "null", "true", '{"events": null}', '{"events": {}}', '{"events": "x"}', '{"events": [null]}',
     '{"events": [5]}', '{"events": [[]]}', '{"events": [{"type": "message", "message": 5}]}', "", "\ufeff{}", "{"],
)  # fmt: skip
def test_bodies_that_are_not_an_object_of_events_are_refused(line_resident, settings, caplog, raw):
    caplog.set_level(logging.INFO)
    response = _post(line_resident, settings, raw)
    assert response.status_code == 400, response.content
    assert WebhookEvent.objects.count() == 0
    assert _no_traceback(caplog)


@pytest.mark.parametrize(
    "change",
    [
        {"message": 5},
        {"message": None},
        {"message": {"type": "text", "id": "1", "text": None}},
        {"message": {"type": "image", "id": "1", "contentProvider": "line"}},
        {"message": {"type": "location", "id": "1", "latitude": "33.5", "longitude": 130.4}},
        {"message": {"type": "location", "id": "1", "latitude": float("nan"), "longitude": 130.4}},
        {"source": None},
        {"source": {"type": "user", "userId": None}},
        {"type": None},
        {"type": 5},
        {"replyToken": 5},
        {"timestamp": -1},
        {"timestamp": 1.5},
    ],
    ids=repr,
)
def test_events_with_wrong_field_types_are_refused(line_resident, settings, caplog, change):
    caplog.set_level(logging.INFO)
    event = simulate.text_event(USER, "こんにちは")
    event.update(change)
    response = _post(line_resident, settings, json.dumps({"destination": "U" + "0" * 32, "events": [event]}))
    assert response.status_code == 400, response.content
    assert WebhookEvent.objects.count() == 0
    assert _no_traceback(caplog)


@pytest.mark.parametrize("kind", ["beacon", "accountLink", "memberJoined", "videoPlayComplete", "somethingNew2030"])
def test_event_types_the_portal_does_not_handle_are_accepted_and_do_nothing(line_resident, settings, caplog, kind):
    caplog.set_level(logging.INFO)
    event = simulate.follow_event(USER)
    event["type"] = kind
    event.pop("follow", None)
    response = _post(line_resident, settings, json.dumps({"destination": "U" + "0" * 32, "events": [event]}))
    assert response.status_code == 200
    assert _no_traceback(caplog)
    assert line_resident.emulator.received(USER) == []


def test_a_duplicated_webhook_event_id_in_one_body_is_handled_once(line_resident, settings, caplog):
    caplog.set_level(logging.INFO)
    event = simulate.follow_event(USER)
    response = _post(line_resident, settings, json.dumps({"destination": "U" + "0" * 32, "events": [event, event]}))
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert Resident.objects.filter(line_user_id=USER).count() == 1
    assert _no_traceback(caplog)
