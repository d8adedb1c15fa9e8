"""The emulator's answers, and the requests our client sends, checked against LINE's
official OpenAPI description (../shared/line-openapi/messaging-api.yml) with openapi-core."""

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.line import client

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "line-openapi" / "messaging-api.yml"
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"LINE's OpenAPI description is not at {SPEC} (../shared absent)")


def _spec_servers() -> tuple[str, str]:
    """The API and data server URLs the description declares. openapi-core matches requests
    against them; nothing is ever sent there (every request in this file goes to the emulator)."""
    if not SPEC.exists():
        return "", ""
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    api = spec["servers"][0]["url"]
    data = next(
        op["servers"][0]["url"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("servers")
    )
    return api, data


API_HOST, DATA_HOST = _spec_servers()
USER = "U" + "4" * 32


@pytest.fixture(scope="module")
def openapi():
    from openapi_core import OpenAPI

    return OpenAPI.from_file_path(str(SPEC))


def _raw(emulator, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        emulator.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {emulator.state.token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _check(openapi, emulator, method, path, body=None, headers=None, host=API_HOST, expect=None):
    from openapi_core.testing import MockRequest, MockResponse

    status, response_headers, data = _raw(emulator, method, path, body, headers)
    if expect is not None:
        assert status == expect, data
    request = MockRequest(
        host,
        method.lower(),
        path,
        headers={"Authorization": f"Bearer {emulator.state.token}", **(headers or {})},
        data=json.dumps(body).encode() if body is not None else None,
        content_type="application/json",
    )
    openapi.validate_request(request)
    content_type = response_headers.get("Content-Type", "application/json")
    response = MockResponse(data, status_code=status, headers=response_headers, content_type=content_type)
    openapi.validate_response(request, response)
    assert response_headers.get("x-line-request-id")
    return status, response_headers, data


def test_requests_our_client_sends_are_valid(openapi, line_emulator):
    from openapi_core.testing import MockRequest

    messages = [
        {"type": "text", "text": "お知らせ", "quickReply": {"items": [
            {"type": "action", "action": {"type": "postback", "label": "はい", "data": "a=1", "displayText": "はい"}}]}},
        {"type": "image", "originalContentUrl": "https://city.example.jp/a.jpg", "previewImageUrl": "https://city.example.jp/p.jpg"},
    ]  # fmt: skip
    client.push(to=USER, messages=messages, retry_key=uuid.uuid4())
    client.multicast(to=[USER, "U" + "5" * 32], messages=messages, retry_key=uuid.uuid4())
    client.broadcast(messages=messages[:1])
    line_emulator.state.add_reply_token("tok", USER)
    client.reply(reply_token="tok", messages=messages[:1])
    for record in line_emulator.requests():
        headers = {"Authorization": "Bearer x"}
        if record["retry_key"]:
            headers["X-Line-Retry-Key"] = record["retry_key"]
        openapi.validate_request(
            MockRequest(API_HOST, "post", f"/v2/bot/message/{record['endpoint']}", headers=headers,
                        data=json.dumps(record["body"]).encode())
        )  # fmt: skip
    assert {r["endpoint"] for r in line_emulator.requests()} == {"push", "multicast", "broadcast", "reply"}


def test_send_endpoints_answers_match_the_schema(openapi, line_emulator):
    text = [{"type": "text", "text": "こんにちは"}]
    key = str(uuid.uuid4())
    push = {"to": USER, "messages": text}
    _check(openapi, line_emulator, "POST", "/v2/bot/message/push", push, {"X-Line-Retry-Key": key}, expect=200)
    _, headers, _data = _check(openapi, line_emulator, "POST", "/v2/bot/message/push", {"to": USER, "messages": text},
                               {"X-Line-Retry-Key": key}, expect=409)  # fmt: skip
    assert headers.get("x-line-accepted-request-id")
    _check(openapi, line_emulator, "POST", "/v2/bot/message/multicast", {"to": [USER], "messages": text}, expect=200)
    _check(openapi, line_emulator, "POST", "/v2/bot/message/broadcast", {"messages": text}, expect=200)
    line_emulator.state.add_reply_token("tok-1", USER)
    _check(openapi, line_emulator, "POST", "/v2/bot/message/reply", {"replyToken": "tok-1", "messages": text}, expect=200)


def test_error_answers_match_the_schema(openapi, line_emulator):
    from openapi_core.testing import MockRequest, MockResponse

    text = [{"type": "text", "text": "x"}]
    # 400 for too many recipients: the request itself is invalid, so only the answer is checked
    status, headers, data = _raw(line_emulator, "POST", "/v2/bot/message/multicast", {"to": [USER] * 501, "messages": text})
    assert status == 400
    ok_request = MockRequest(API_HOST, "post", "/v2/bot/message/multicast", headers={"Authorization": "Bearer x"},
                             data=json.dumps({"to": [USER], "messages": text}).encode())  # fmt: skip
    openapi.validate_response(ok_request, MockResponse(data, status_code=400, headers=headers))
    line_emulator.set_limits(push=1)
    _check(openapi, line_emulator, "POST", "/v2/bot/message/push", {"to": USER, "messages": text}, expect=200)
    _check(openapi, line_emulator, "POST", "/v2/bot/message/push", {"to": USER, "messages": text}, expect=429)
    _check(openapi, line_emulator, "POST", "/v2/bot/message/reply", {"replyToken": "unknown", "messages": text}, expect=400)


def test_profile_and_content_answers_match_the_schema(openapi, line_emulator):
    _, _h, data = _check(openapi, line_emulator, "GET", f"/v2/bot/profile/{USER}", expect=200)
    assert json.loads(data)["userId"] == USER
    line_emulator.add_content("777")
    _, headers, data = _check(openapi, line_emulator, "GET", "/v2/bot/message/777/content", host=DATA_HOST, expect=200)
    assert headers["Content-Type"] == "image/jpeg" and data[:2] == b"\xff\xd8"
