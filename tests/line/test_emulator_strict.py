"""The emulator refuses what LINE refuses (messaging-api.yml): user IDs, HTTPS-only media
URLs, lengths, counts, required fields and enums, with LINE's error shape."""

import json
import urllib.error
import urllib.request

import pytest

from portal.line import client
from portal.line.client import LineRejected
from portal.line.devtools import simulate

VALID = "U" + "0123456789abcdef" * 2
TEXT = [{"type": "text", "text": "お知らせです"}]
IMAGE = {
    "type": "image",
    "originalContentUrl": "https://city.example.jp/a.jpg",
    "previewImageUrl": "https://city.example.jp/p.jpg",
}


def _post(line_emulator, endpoint: str, payload: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{line_emulator.url}/v2/bot/message/{endpoint}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {line_emulator.state.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _assert_line_error(status: int, body: dict, prop: str) -> None:
    assert status == 400
    assert isinstance(body["message"], str) and body["message"]
    assert all(set(d) == {"message", "property"} for d in body["details"])
    assert prop in [d["property"] for d in body["details"]], body


@pytest.mark.parametrize(
    "user_id",
    [
        "Udemo0001",
        VALID.upper().replace("U", "U", 1),
        "U" + "0123456789ABCDEF" * 2,
        VALID + "0",
        VALID[:-1],
        "u" + VALID[1:],
        " " + VALID,
    ],
)
def test_push_and_multicast_refuse_user_ids_line_would_refuse(line_emulator, user_id):
    _assert_line_error(*_post(line_emulator, "push", {"to": user_id, "messages": TEXT}), "to")
    _assert_line_error(*_post(line_emulator, "multicast", {"to": [VALID, user_id], "messages": TEXT}), "to[1]")
    assert line_emulator.summary()["deliveries"] == 0
    with pytest.raises(LineRejected) as info:
        client.push(to=user_id, messages=TEXT)
    assert info.value.status == 400


def test_valid_user_ids_are_delivered(line_emulator):
    assert _post(line_emulator, "push", {"to": VALID, "messages": TEXT})[0] == 200
    assert _post(line_emulator, "multicast", {"to": [VALID, simulate.user_id_for("x")], "messages": TEXT})[0] == 200
    assert line_emulator.count(VALID) == 2


def test_profile_of_an_invalid_user_id_is_400(line_emulator):
    from portal.line.client import LineError

    assert client.get_profile(user_id=VALID)["userId"] == VALID
    with pytest.raises(LineError):
        client.get_profile(user_id="Udemo0001")


@pytest.mark.parametrize("key", ["originalContentUrl", "previewImageUrl"])
@pytest.mark.parametrize(
    "url",
    [
        "http://city.example.jp/a.jpg",
        "http://127.0.0.1:8000/media/a.jpg",
        "ftp://city.example.jp/a.jpg",
        "https://",
        "https://x.jp/" + "a" * 2000,
    ],
)
def test_media_urls_must_be_https(line_emulator, key, url):
    _assert_line_error(*_post(line_emulator, "push", {"to": VALID, "messages": [{**IMAGE, key: url}]}), f"messages[0].{key}")
    _assert_line_error(*_post(line_emulator, "broadcast", {"messages": [{**IMAGE, key: url}]}), f"messages[0].{key}")
    assert line_emulator.broadcasts() == [] and line_emulator.received(VALID) == []


def test_https_image_is_accepted_and_http_only_under_an_explicit_demo_prefix(line_emulator):
    assert _post(line_emulator, "push", {"to": VALID, "messages": [IMAGE]})[0] == 200
    demo = {
        "type": "image",
        "originalContentUrl": "http://127.0.0.1:8000/m/a.jpg",
        "previewImageUrl": "http://127.0.0.1:8000/m/p.jpg",
    }
    line_emulator.state.allow_http_media = ("http://127.0.0.1:8000/",)
    try:
        assert _post(line_emulator, "push", {"to": VALID, "messages": [demo]})[0] == 200
        other = {**demo, "previewImageUrl": "http://127.0.0.1:9000/p.jpg"}
        _assert_line_error(*_post(line_emulator, "push", {"to": VALID, "messages": [other]}), "messages[0].previewImageUrl")
    finally:
        line_emulator.state.allow_http_media = ()


def _quick(action: dict, **item) -> dict:
    return {**TEXT[0], "quickReply": {"items": [{"type": "action", "action": action, **item}]}}


QR = "messages[0].quickReply.items[0]"
PLACE = {"type": "location", "title": "市役所", "latitude": 33.5, "longitude": 130.4}


@pytest.mark.parametrize(
    ("message", "prop"),
    [
        ({"type": "text", "text": ""}, "messages[0].text"),
        ({"type": "text"}, "messages[0].text"),
        ({"type": "text", "text": "😀" * 2501}, "messages[0].text"),  # 5,002 UTF-16 units
        ({"type": "image", "originalContentUrl": "https://x.jp/a.jpg"}, "messages[0].previewImageUrl"),
        ({"type": "sticker", "packageId": "446"}, "messages[0].stickerId"),
        ({**PLACE, "address": "x" * 101}, "messages[0].address"),
        ({**PLACE, "address": "x", "latitude": 91}, "messages[0].latitude"),
        ({"type": "nope"}, "messages[0].type"),
        ({**TEXT[0], "sender": {"name": "x" * 21}}, "messages[0].sender.name"),
        ({**TEXT[0], "quickReply": {"items": []}}, "messages[0].quickReply.items"),
        (_quick({"type": "message", "label": "a"}), f"{QR}.action.text"),
        (_quick({"type": "message", "label": "a" * 21, "text": "a"}), f"{QR}.action.label"),
        (_quick({"type": "postback", "label": "a", "data": "d" * 301}), f"{QR}.action.data"),
        (_quick({"type": "datetimepicker", "label": "a", "data": "d", "mode": "week"}), f"{QR}.action.mode"),
        (_quick({"type": "teleport", "label": "a"}), f"{QR}.action.type"),
        (_quick({"type": "location", "label": "a"}, imageUrl="http://x.jp/i.png"), f"{QR}.imageUrl"),
    ],
)
def test_message_rules(line_emulator, message, prop):
    _assert_line_error(*_post(line_emulator, "push", {"to": VALID, "messages": [message]}), prop)
    assert line_emulator.received(VALID) == []


def test_every_error_is_reported_at_once(line_emulator):
    status, body = _post(
        line_emulator,
        "push",
        {"to": "Udemo0001", "messages": [{"type": "text", "text": ""}, IMAGE | {"previewImageUrl": "http://x"}]},
    )
    _assert_line_error(status, body, "to")
    assert {d["property"] for d in body["details"]} == {"to", "messages[0].text", "messages[1].previewImageUrl"}
    assert body["message"] == "The request body has 3 error(s)"


def test_what_the_project_sends_passes(line_emulator):
    """The chat helpers' quick replies (postback, message, location, camera, camera roll)."""
    from portal.line import chat

    message = chat.text_message(
        "どうしますか",
        quick_replies=[
            chat.quick_postback("はい", "flow=x&step=y", display_text="はい"),
            chat.quick_message("受信設定"),
            chat.quick_location(),
            chat.quick_camera(),
            chat.quick_camera_roll(),
        ],
    )
    assert _post(line_emulator, "push", {"to": VALID, "messages": [message, IMAGE]})[0] == 200


def test_simulated_and_seeded_residents_have_ids_line_would_accept(db, line_emulator):
    from portal.line.devtools.seed import seed_residents
    from portal.line.models import Resident

    seed_residents(count=30, seed=7)
    ids = list(Resident.objects.values_list("line_user_id", flat=True)) + [simulate.new_user_id(), simulate.user_id_for("x")]
    assert all(simulate.is_user_id(u) for u in ids), [u for u in ids if not simulate.is_user_id(u)]
    assert _post(line_emulator, "multicast", {"to": ids, "messages": TEXT})[0] == 200
