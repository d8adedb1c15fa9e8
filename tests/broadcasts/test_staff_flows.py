"""Staff flows of issue 12 through HTTP, the webhook and the emulator's record: what the
compose page says approval will do, 予約日時 only for 予約配信, テスト配信 to one's own
linked LINE only, 削除 of drafts, the emergency compose page (reach, 災害 templates),
distinct status badges and the 配信日時 column."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEntry, User
from broadcasts import privacy, selectors
from broadcasts.models import Broadcast
from tests.fixtures.broadcasts import compose_form

pytestmark = pytest.mark.django_db

STAFF_LINE = "U0123456789abcdef0123456789abcdef"
OTHER_LINE = "Ufedcba9876543210fedcba9876543210"


@pytest.fixture
def area60(segment_world, make_residents):
    make_residents(60, area=segment_world.areas[0])
    return segment_world.areas[0]


def _link_code(client) -> str:
    page = client.post(reverse("broadcasts:test_account"), {"action": "code"}).content.decode()
    match = re.search(r"職員連携 [A-Z0-9]{4}-[A-Z0-9]{4}", page)
    assert match, "the page shows the code to send from LINE"
    return match.group(0)


def test_linking_ones_own_line_then_test_send_reaches_only_it(
    client, author, approver, make_broadcast, area60, line_emulator, line_resident
):
    client.force_login(author)
    compose = client.get(reverse("broadcasts:new")).content.decode()
    assert "テスト配信用LINEを連携する" in compose  # the way to link is shown where one composes
    howto = client.get(reverse("broadcasts:test_account")).content.decode()
    assert "友だち追加" in howto and "連携コードを発行" in howto and "未連携" in howto
    code = _link_code(client)

    line_resident.follow(STAFF_LINE)
    # someone else guessing gets nowhere, and links nothing
    line_resident.follow(OTHER_LINE)
    line_resident.text(OTHER_LINE, "職員連携 AAAA-BBBB")
    assert any("連携コードが正しくないか" in t for t in line_emulator.received_texts(OTHER_LINE))
    line_resident.text(STAFF_LINE, code)
    assert any("テスト配信用アカウントとして登録しました" in t for t in line_emulator.received_texts(STAFF_LINE))
    # the code works once: sent again from another account, it links nothing
    line_resident.text(OTHER_LINE, code)
    author.refresh_from_db()
    assert author.line_test_user_id == STAFF_LINE
    assert not User.objects.filter(line_test_user_id=OTHER_LINE).exists()
    linked = AuditEntry.objects.get(action="broadcast.test_account_linked")
    assert linked.actor == author and STAFF_LINE not in f"{linked.detail} {linked.target_repr}"
    assert "連携済み" in client.get(reverse("broadcasts:test_account")).content.decode()

    b = make_broadcast(areas=[area60], text="テストです")
    line_emulator.reset()
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert "自分のLINEにテスト配信" in page
    response = client.post(reverse("broadcasts:test_send", args=[b.pk]), follow=True)
    assert "テスト配信を送信しました" in response.content.decode()
    assert line_emulator.counts() == {STAFF_LINE: 1}  # nobody else, not even the other test account
    assert line_emulator.received_texts(STAFF_LINE) == ["テストです"]
    assert line_emulator.requests("multicast") == [] and line_emulator.requests("broadcast") == []
    # a test counts toward nothing: no batch, no total, no exclusion, the draft stays a draft
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DRAFT and b.recipients_total == 0 and b.batches.count() == 0
    assert not selectors.excludable_broadcasts().filter(pk=b.pk).exists()
    assert AuditEntry.objects.filter(action="broadcast.test_sent", actor=author, target_id=str(b.pk)).exists()

    # compose page: test send (it saves first) goes to the same account only
    line_emulator.reset()
    client.post(
        reverse("broadcasts:edit", args=[b.pk]),
        compose_form(title="テスト", text="二回目", areas=[area60], action="test"),
    )
    assert line_emulator.counts() == {STAFF_LINE: 1}

    # after unlinking, nothing goes anywhere
    client.post(reverse("broadcasts:test_account"), {"action": "unlink"})
    line_emulator.reset()
    response = client.post(reverse("broadcasts:test_send", args=[b.pk]), follow=True)
    assert "連携されていません" in response.content.decode()
    assert line_emulator.counts() == {}


def test_approvers_may_test_send_and_other_roles_may_not(
    client, approver, make_staff, make_broadcast, area60, line_emulator, line_resident
):
    client.force_login(approver)
    code = _link_code(client)
    line_resident.follow(STAFF_LINE)
    line_resident.text(STAFF_LINE, code)
    b = make_broadcast(areas=[area60], to="pending", text="承認前の確認")
    line_emulator.reset()
    client.post(reverse("broadcasts:test_send", args=[b.pk]))
    assert line_emulator.received_texts(STAFF_LINE) == ["承認前の確認"]
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING

    road = make_staff(roles.ROAD, line_test_user_id=STAFF_LINE)
    client.force_login(road)
    assert client.get(reverse("broadcasts:test_account")).status_code == 403
    assert client.post(reverse("broadcasts:test_send", args=[b.pk])).status_code == 403


def test_compose_says_what_approval_will_do_and_validates_the_schedule(client, author, approver, area60, line_emulator):
    client.force_login(author)
    page = client.get(reverse("broadcasts:new")).content.decode()
    assert "承認されると、すぐに配信が始まります" in page
    assert 'id="schedule-field"' in page and "「予約配信」を選んだときだけ使います" in page
    base = {"title": "予約のテスト", "audience": "all", "bubble-0-type": "text", "bubble-0-text": "本文は消えません"}
    base["action"] = "save"

    # 予約配信 without a time: refused, and nothing typed is lost
    response = client.post(reverse("broadcasts:new"), {**base, "timing": "scheduled", "scheduled_at": ""})
    body = response.content.decode()
    assert response.status_code == 400 and "予約配信を選んだときは予約日時を入力してください" in body
    assert "本文は消えません" in body and 'id="timing-scheduled" name="timing" value="scheduled" checked' in body
    past = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("broadcasts:new"), {**base, "timing": "scheduled", "scheduled_at": past})
    assert response.status_code == 400 and "未来の日時" in response.content.decode()
    assert not Broadcast.objects.exists()

    # 承認後すぐに配信 ignores a time typed before switching back
    client.post(reverse("broadcasts:new"), {**base, "timing": "now", "scheduled_at": "2031-01-01T10:00"})
    now_one = Broadcast.objects.get()
    assert now_one.scheduled_at is None

    later = timezone.localtime(timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    client.post(
        reverse("broadcasts:edit", args=[now_one.pk]),
        {**base, "timing": "scheduled", "scheduled_at": later.strftime("%Y-%m-%dT%H:%M"), "action": "submit"},
    )
    now_one.refresh_from_db()
    assert now_one.scheduled_at == later and now_one.status == Broadcast.Status.PENDING
    client.force_login(approver)
    page = client.get(reverse("broadcasts:detail", args=[now_one.pk])).content.decode()
    assert "承認されると、" in page and "に配信されます" in page
    version = client.get(reverse("broadcasts:api_detail", args=[now_one.pk])).json()["version"]
    client.post(reverse("broadcasts:approve", args=[now_one.pk]), {"version": version})
    now_one.refresh_from_db()
    assert now_one.status == Broadcast.Status.SCHEDULED
    assert line_emulator.requests("multicast") == []


def test_api_approval_of_send_on_approval_starts_sending(
    client, author, approver, make_broadcast, area60, run_on_commit, line_emulator
):
    b = make_broadcast(areas=[area60], to="pending", text="APIで承認")
    client.force_login(approver)
    with run_on_commit():
        version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
        answer = client.post(
            reverse("broadcasts:api_approve", args=[b.pk]), {"version": version}, content_type="application/json"
        ).json()
    assert answer["status"] in {"sending", "done"}
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert len(line_emulator.counts()) == 60 and set(line_emulator.counts().values()) == {1}
    progress = answer["progress"]
    assert set(progress) >= {"headline", "reached", "total", "percent"} and not any("batch" in key for key in progress)


def test_drafts_are_deleted_not_cancelled(client, author, make_broadcast, area60):
    draft = make_broadcast(areas=[area60])
    pending = make_broadcast(areas=[area60], to="pending")
    client.force_login(author)
    page = client.get(reverse("broadcasts:detail", args=[draft.pk])).content.decode()
    assert 'id="delete"' in page and ">削除<" in page and "配信を中止" not in page
    response = client.post(reverse("broadcasts:delete", args=[draft.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("broadcasts:list")
    assert "を削除しました" in response.content.decode()
    assert not Broadcast.objects.filter(pk=draft.pk).exists()
    assert AuditEntry.objects.filter(action="broadcast.deleted", target_id=str(draft.pk), actor=author).exists()
    # a submitted broadcast is cancelled (中止), never deleted
    page = client.get(reverse("broadcasts:detail", args=[pending.pk])).content.decode()
    assert "配信を中止" in page and 'id="delete"' not in page
    response = client.post(reverse("broadcasts:delete", args=[pending.pk]), follow=True)
    assert "削除できません" in response.content.decode()
    assert Broadcast.objects.filter(pk=pending.pk, status=Broadcast.Status.PENDING).exists()


def test_emergency_compose_shows_reach_and_disaster_templates(client, author, segment_world, make_residents):
    make_residents(70, area=segment_world.areas[0])
    make_residents(6, area=segment_world.areas[0], opt_out=True)  # emergency reaches 配信停止 too
    client.force_login(author)
    page = client.get(reverse("broadcasts:emergency_new")).content.decode()
    assert f'<output id="emergency-reach" class="reach">{privacy.friends_text()}</output>' in page
    for label in ("避難情報", "断水", "道路通行止め"):
        assert label in page
    assert "承認者が承認すると、すぐに友だち全員への配信が始まります" in page

    page = client.get(reverse("broadcasts:emergency_new") + "?template=water").content.decode()
    assert "【断水のお知らせ】" in page and "給水所" in page
    # a template still holding 〇〇 cannot be submitted
    text = "【断水のお知らせ】\n〇〇区〇〇町の一部で断水しています。"
    response = client.post(
        reverse("broadcasts:emergency_new"),
        {"title": "断水", "bubble-0-type": "text", "bubble-0-text": text, "action": "submit"},
        follow=True,
    )
    assert "「〇〇」が残っています" in response.content.decode()
    b = Broadcast.objects.get(title="断水")
    assert b.kind == Broadcast.Kind.EMERGENCY and b.status == Broadcast.Status.DRAFT


def test_list_has_distinct_badges_and_a_delivery_time_column(
    client, author, approver, make_broadcast, area60, line_emulator, send_broadcast
):
    make_broadcast(areas=[area60])
    make_broadcast(areas=[area60], to="pending")
    sent = send_broadcast(areas=[area60])
    client.force_login(author)
    page = client.get(reverse("broadcasts:list")).content.decode()
    assert '<th scope="col">配信日時</th>' in page
    for status in ("draft", "pending", "done"):
        assert f"status-badge--{status}" in page
    assert timezone.localtime(sent.started_at).strftime("%Y-%m-%d %H:%M") in page
