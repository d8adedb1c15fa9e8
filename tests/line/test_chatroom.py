"""The LINE layer's chat pieces against the emulator: markAsRead (a token from a delivered
webhook event, else 400), the loading animation (chatId a user ID, 5–60 s in steps of 5,
202), both through portal.line.client/chatroom, and the chat log's retention."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest
from django.utils import timezone

from portal import retention
from portal.line import chatroom, client
from portal.line.devtools.simulate import user_id_for
from portal.line.errors import LineRejected
from portal.line.models import ChatLogEntry, Resident

USER = user_id_for("chatroom-resident")


def _post(emulator, path: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        emulator.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_mark_as_read_takes_only_a_token_the_user_was_given(line_emulator, settings):
    token = settings.LINE_CHANNEL_ACCESS_TOKEN
    assert _post(line_emulator, "/v2/bot/chat/markAsRead", {"markAsReadToken": "never-issued"}, token)[0] == 400
    assert _post(line_emulator, "/v2/bot/chat/markAsRead", {}, token)[0] == 400
    assert _post(line_emulator, "/v2/bot/chat/markAsRead", {"markAsReadToken": "x"}, "wrong")[0] == 401
    with pytest.raises(LineRejected):
        client.mark_as_read(mark_as_read_token="never-issued")
    assert line_emulator.read_marks() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"chatId": USER, "loadingSeconds": 5}, 202),
        ({"chatId": USER, "loadingSeconds": 60}, 202),
        ({"chatId": USER}, 202),  # LINE's default (20 s)
        ({"chatId": USER, "loadingSeconds": 0}, 400),
        ({"chatId": USER, "loadingSeconds": 7}, 400),
        ({"chatId": USER, "loadingSeconds": 65}, 400),
        ({"chatId": USER, "loadingSeconds": "10"}, 400),
        ({"chatId": "C" + "0" * 32, "loadingSeconds": 10}, 400),
        ({"loadingSeconds": 10}, 400),
    ],
)
def test_the_loading_animation_is_validated_as_line_does(line_emulator, settings, body, status):
    assert _post(line_emulator, "/v2/bot/chat/loading/start", body, settings.LINE_CHANNEL_ACCESS_TOKEN)[0] == status
    assert len(line_emulator.loadings(USER)) == (1 if status == 202 else 0)


@pytest.mark.django_db
def test_show_loading_refuses_seconds_line_would_refuse(line_emulator):
    resident = Resident.objects.create(line_user_id=USER)
    assert chatroom.show_loading(resident=resident, seconds=15)
    with pytest.raises(ValueError, match="multiple of 5"):
        chatroom.show_loading(resident=resident, seconds=12)
    assert [m["seconds"] for m in line_emulator.loadings(USER)] == [15]


def test_the_chat_log_of_an_answered_message_is_kept_and_marked_read(line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.text(USER, "キャンセル")
    line_resident.text(USER, "今日はいい天気ですね")
    resident = Resident.objects.get(line_user_id=USER)
    lines = list(ChatLogEntry.objects.filter(resident=resident).order_by("created_at"))
    assert [(line.direction, line.text) for line in lines][0] == ("in", "今日はいい天気ですね")
    assert lines[0].mark_as_read_token == line_resident.last_event["message"]["markAsReadToken"]
    assert chatroom.mark_read(resident=resident)
    assert line_emulator.is_read(lines[0].mark_as_read_token)
    assert not chatroom.mark_read(resident=resident)  # nothing unread is left


def test_flow_steps_are_not_logged(line_resident):
    line_resident.follow(USER)  # 受信設定's questions: a flow, not for staff
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    assert not ChatLogEntry.objects.exists()


@pytest.mark.django_db
def test_the_chat_log_is_purged_after_its_period(settings):
    settings.RETENTION_CHAT_LOG_DAYS = 90
    resident = Resident.objects.create(line_user_id=USER)
    old = ChatLogEntry.objects.create(resident=resident, direction="in", kind="text", text="古い")
    ChatLogEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=91))
    ChatLogEntry.objects.create(resident=resident, direction="in", kind="text", text="新しい")
    store = next(s for s in retention.stores() if s.key == "line.chat_log")
    assert retention.purge_store(store) == {"deleted": 1}
    assert list(ChatLogEntry.objects.values_list("text", flat=True)) == ["新しい"]
    assert retention.purge_store(store) == {"deleted": 0}
