"""受信設定 in the chat, through the signed webhook, as a resident would use it."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from portal.line.models import Area, Conversation, Interest, Resident
from tests.fixtures.line import quick_reply_labels

USER = "U" + "e" * 32


def test_follow_then_full_preferences_flow(line_resident, line_emulator, demo_segments):
    line_resident.follow(USER)
    consent = line_emulator.received(USER)[-1]
    assert "同意しますか" in consent["text"] and quick_reply_labels(consent) == ["同意する", "同意しない"]
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    age_question = line_emulator.received(USER)[-1]
    assert "年代" in age_question["text"]
    assert quick_reply_labels(age_question)[:2] == ["〜14歳", "15〜19歳"] and len(quick_reply_labels(age_question)) == 10
    line_resident.postback(USER, "flow=prefs&step=age&value=30-34")
    area_question = line_emulator.received(USER)[-1]
    assert quick_reply_labels(area_question)[:7] == ["東区", "博多区", "中央区", "南区", "城南区", "早良区", "西区"]
    line_resident.text(USER, "博多区")  # typing a button's label works too
    line_resident.postback(USER, "flow=prefs&step=interest&value=bousai")
    line_resident.postback(USER, "flow=prefs&step=interest&value=kosodate")
    line_resident.postback(USER, "flow=prefs&step=interest&value=kosodate")  # toggled off again
    line_resident.postback(USER, "flow=prefs&step=interest&value=event")
    assert "✓防災" in quick_reply_labels(line_emulator.received(USER)[-1])
    line_resident.postback(USER, "flow=prefs&step=interest&value=done")
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.consented_at and resident.age_band == "30-34" and resident.area.code == "hakata"
    chosen = {i.code for i in Interest.objects.all() if resident.interest_bits & i.mask}
    assert chosen == {"bousai", "event"}
    assert "受信設定を登録しました" in line_emulator.received(USER)[-1]["text"]
    assert not Conversation.objects.exists()


def test_settings_confirmation_and_reopen(line_resident, line_emulator, demo_segments):
    line_resident.answer_preferences(USER, interests=("bousai", "kosodate"))
    line_resident.text(USER, "設定確認")
    text = line_emulator.received(USER)[-1]["text"]
    assert "年代：30〜34歳" in text and "地域：博多区" in text and "防災" in text and "子育て" in text
    line_resident.text(USER, "受信設定")  # already consented: straight to the age band
    assert "年代を選んでください" in line_emulator.received(USER)[-1]["text"]


def test_declining_consent_stores_nothing(line_resident, line_emulator, demo_segments):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=prefs&step=consent&value=no")
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.consented_at is None and resident.age_band == ""
    assert "登録しませんでした" in line_emulator.received(USER)[-1]["text"]


def test_sticker_or_photo_mid_flow_gets_a_reprompt(line_resident, line_emulator, demo_segments):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    line_resident.sticker(USER)
    reprompt = line_emulator.received(USER)[-1]
    assert "ボタンから選んでください" in reprompt["text"] and "年代" in reprompt["text"]
    line_resident.image(USER)
    assert "年代" in line_emulator.received(USER)[-1]["text"]
    line_resident.text(USER, "よくわからない")
    assert Conversation.objects.get().step == "age"


def test_cancel_ends_the_flow(line_resident, line_emulator, demo_segments):
    line_resident.follow(USER)
    line_resident.text(USER, "キャンセル")
    assert not Conversation.objects.exists()
    assert "中止しました" in line_emulator.received(USER)[-1]["text"]


def test_conversation_expires_after_30_minutes(line_resident, line_emulator, demo_segments):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        line_resident.postback(USER, "flow=prefs&step=age&value=30-34")
    assert Resident.objects.get(line_user_id=USER).age_band == ""
    assert not Conversation.objects.exists()
    assert "受信設定" in line_emulator.received(USER)[-1]["text"]  # the help reply


def test_admin_added_area_and_interest_appear_in_the_chat(line_resident, line_emulator, demo_segments):
    Area.objects.create(code="itoshima", name="糸島", order=99)
    Interest.objects.create(code="bunka", name="文化", bit=40, order=99)
    Area.objects.filter(code="nishi").update(is_active=False)
    line_resident.answer_preferences(USER, interests=("bunka",))
    line_resident.text(USER, "受信設定")
    line_resident.tap(USER, "50歳〜")
    labels = quick_reply_labels(line_emulator.received(USER)[-1])
    assert "糸島" in labels and "西区" not in labels
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.interest_bits == 1 << 40 and resident.age_band == "50+"
