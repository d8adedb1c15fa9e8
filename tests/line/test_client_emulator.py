"""The LINE client against the emulator: validation, limits, retry keys, faults, content."""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from portal.line import client
from portal.line.client import LineRateLimited, LineRejected, LineTemporaryError

TEXT = [{"type": "text", "text": "お知らせです"}]


def _uid(n: int) -> str:
    return f"U{n:032x}"


def test_push_delivers_and_returns_request_id(line_emulator):
    result = client.push(to=_uid(1), messages=TEXT)
    assert result.request_id and not result.duplicate
    assert line_emulator.received(_uid(1)) == TEXT
    assert line_emulator.count(_uid(2)) == 0


def test_multicast_delivers_each_recipient_once(line_emulator):
    ids = [_uid(i) for i in range(500)]
    client.multicast(to=ids, messages=TEXT)
    assert all(line_emulator.count(u) == 1 for u in ids)
    assert line_emulator.summary()["deliveries"] == 500


def _raw_post(line_emulator, endpoint, payload, token="demo-channel-access-token", **headers):  # noqa: S107
    req = urllib.request.Request(
        f"{line_emulator.url}/v2/bot/message/{endpoint}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_emulator_rejects_multicast_over_500_recipients(line_emulator):
    status, headers, body = _raw_post(line_emulator, "multicast", {"to": [_uid(i) for i in range(501)], "messages": TEXT})
    assert status == 400
    assert body == {"message": "The request body has 1 error(s)",
                    "details": [{"message": "Size must be between 1 and 500", "property": "to"}]}  # fmt: skip
    assert headers.get("x-line-request-id")
    status, _h, body = _raw_post(line_emulator, "multicast", {"to": [], "messages": TEXT})
    assert status == 400
    assert line_emulator.summary()["deliveries"] == 0


def test_emulator_rejects_wrong_token_and_bad_retry_key(line_emulator):
    status, _h, body = _raw_post(line_emulator, "push", {"to": _uid(1), "messages": TEXT}, token="wrong")
    assert status == 401 and "message" in body
    status, _h, body = _raw_post(line_emulator, "push", {"to": _uid(1), "messages": TEXT}, **{"X-Line-Retry-Key": "nope"})
    assert status == 400
    assert line_emulator.received(_uid(1)) == []


def test_client_rejects_over_500_recipients_like_line(line_emulator):
    with pytest.raises(LineRejected) as info:
        client.multicast(to=[_uid(i) for i in range(501)], messages=TEXT)
    assert info.value.status == 400
    assert info.value.details[0]["property"] == "to"
    assert line_emulator.requests() == []


@pytest.mark.parametrize(
    ("messages", "prop"),
    [
        ([{"type": "text", "text": "あ" * 5001}], "messages[0].text"),
        ([{"type": "text", "text": "x"}] * 6, "messages"),
        ([{"type": "image", "originalContentUrl": "http://example.jp/a.jpg", "previewImageUrl": "https://example.jp/p.jpg"}],
         "messages[0].originalContentUrl"),
    ],
)  # fmt: skip
def test_message_limits_are_enforced(line_emulator, messages, prop):
    with pytest.raises(LineRejected) as info:
        client.push(to=_uid(1), messages=messages)
    assert info.value.status == 400
    assert prop in [d["property"] for d in info.value.details]
    assert line_emulator.received(_uid(1)) == []


def test_wrong_token_is_rejected_with_401(line_emulator, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "not-the-token"
    with pytest.raises(LineRejected) as info:
        client.push(to=_uid(1), messages=TEXT)
    assert info.value.status == 401
    assert line_emulator.received(_uid(1)) == []


def test_retry_key_accepted_once_then_409_and_nothing_delivered_again(line_emulator):
    key = uuid.uuid4()
    first = client.multicast(to=[_uid(1), _uid(2)], messages=TEXT, retry_key=key)
    second = client.multicast(to=[_uid(1), _uid(2)], messages=TEXT, retry_key=key)
    assert not first.duplicate
    assert second.duplicate and second.accepted_request_id == first.request_id
    assert line_emulator.count(_uid(1)) == 1 and line_emulator.count(_uid(2)) == 1
    assert [r["status"] for r in line_emulator.requests("multicast")] == [200, 409]
    assert all(r["retry_key"] == str(key) for r in line_emulator.requests("multicast"))


def test_rate_limit_answers_429(line_emulator):
    line_emulator.set_limits(multicast=3)
    for i in range(3):
        client.multicast(to=[_uid(i)], messages=TEXT)
    with pytest.raises(LineRateLimited):
        client.multicast(to=[_uid(9)], messages=TEXT)
    assert line_emulator.count(_uid(9)) == 0


def test_broadcast_limit_is_per_hour(line_emulator):
    line_emulator.set_limits(broadcast=(1, 3600))
    client.broadcast(messages=TEXT)
    with pytest.raises(LineRateLimited):
        client.broadcast(messages=TEXT)
    assert len(line_emulator.broadcasts()) == 1


def test_injected_faults_translate_to_temporary_errors(line_emulator, settings):
    line_emulator.set_faults(rate_500=1.0, limit=1)
    with pytest.raises(LineTemporaryError):
        client.push(to=_uid(1), messages=TEXT)
    line_emulator.set_faults(rate_429=1.0, retry_after=7, limit=1)
    with pytest.raises(LineRateLimited) as info:
        client.push(to=_uid(1), messages=TEXT)
    assert info.value.retry_after == 7
    assert line_emulator.received(_uid(1)) == []
    client.push(to=_uid(1), messages=TEXT)  # the limit of injected faults is used up
    assert line_emulator.count(_uid(1)) == 1


def test_timeout_then_retry_with_same_key_delivers_once(line_emulator, settings):
    settings.LINE_REQUEST_TIMEOUT = 0.3
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=0.8, limit=1)
    key = uuid.uuid4()
    started = time.monotonic()
    with pytest.raises(LineTemporaryError):
        client.push(to=_uid(5), messages=TEXT, retry_key=key)
    assert time.monotonic() - started < 0.8
    assert client.push(to=_uid(5), messages=TEXT, retry_key=key).duplicate
    assert line_emulator.count(_uid(5)) == 1


def test_connection_refused_is_temporary(settings):
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(LineTemporaryError):
        client.push(to=_uid(1), messages=TEXT)


def test_reply_needs_a_fresh_token(line_emulator):
    line_emulator.state.add_reply_token("tok-1", _uid(3))
    client.reply(reply_token="tok-1", messages=TEXT)
    assert line_emulator.received(_uid(3)) == TEXT
    with pytest.raises(LineRejected) as info:  # single use
        client.reply(reply_token="tok-1", messages=TEXT)
    assert info.value.message == "Invalid reply token"
    line_emulator.state.add_reply_token("tok-2", _uid(3))
    line_emulator.expire_reply_tokens()
    with pytest.raises(LineRejected):
        client.reply(reply_token="tok-2", messages=TEXT)


def test_profile_and_content(line_emulator):
    line_emulator.add_profile(_uid(4), "福岡 花子")
    assert client.get_profile(user_id=_uid(4))["displayName"] == "福岡 花子"
    body = line_emulator.add_content("123456")
    data, content_type = client.get_message_content(message_id="123456")
    assert data == body and content_type == "image/jpeg"
    assert data[:3] == b"\xff\xd8\xff"  # a real JPEG
    with pytest.raises(LineRejected) as info:
        client.get_message_content(message_id="999")
    assert info.value.status == 404


def test_admin_endpoints_over_http(line_emulator):
    def call(method, path, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(line_emulator.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    client.push(to=_uid(7), messages=TEXT)
    assert call("GET", f"/_emulator/deliveries?user_id={_uid(7)}")["count"] == 1
    call("POST", "/_emulator/faults", {"rate_500": 1.0})
    with pytest.raises(LineTemporaryError):
        client.push(to=_uid(7), messages=TEXT)
    call("POST", "/_emulator/reset")
    assert call("GET", "/_emulator/summary")["deliveries"] == 0
