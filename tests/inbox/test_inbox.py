"""The staff inbox end to end, through the signed webhook, the staff pages and the emulator's
record: a message nothing answers reaches the inbox; a staff reply reaches the resident
exactly once (reply token while valid, else a push); opening it marks the messages read;
notes are never sent; the table's actions; every view audited; exact query counts."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import AuditEntry
from intake.inbox.chat import received_text
from intake.inbox.models import Inquiry, InquiryEntry
from portal.line.models import ChatLogEntry, OutboundMessage
from tests.inbox.conftest import RESIDENT

QUESTION = "市民プールは年末も開いていますか？"


def _reply(client, inquiry, text, key=None):
    return client.post(f"/inbox/{inquiry.pk}/reply/", {"text": text, "submission_key": str(key or uuid.uuid4()), "template": ""})


def test_an_unanswerable_message_opens_a_conversation_and_the_resident_is_told_once(asked, line_resident, line_emulator):
    assert asked.status == "new" and asked.unread
    assert line_emulator.received_texts(RESIDENT)[-1] == received_text()
    # the next messages join the same conversation, with no automatic answer (the token stays for staff)
    before = line_emulator.count(RESIDENT)
    line_resident.text(RESIDENT, "追加です。温水プールの方です")
    assert Inquiry.objects.filter(resident__line_user_id=RESIDENT).count() == 1
    assert line_emulator.count(RESIDENT) == before
    texts = list(ChatLogEntry.objects.filter(resident=asked.resident).order_by("created_at").values_list("direction", "text"))
    assert texts == [("in", QUESTION), ("out", received_text()), ("in", "追加です。温水プールの方です")]


def test_the_page_shows_what_the_resident_wrote_and_what_the_bot_answered(asked, handler_client):
    page = handler_client.get(f"/inbox/{asked.pk}/").content.decode()
    assert QUESTION in page and "職員が内容を確認し" in page
    assert "LINEでは個人情報や機微な相談は受け付けていません" in page
    listing = handler_client.get("/inbox/").content.decode()
    assert f"/inbox/{asked.pk}/" in listing and "未対応 1件" in listing


def test_a_staff_reply_reaches_the_resident_exactly_once_even_when_posted_twice(asked, handler_client, line_emulator):
    line_emulator.expire_reply_tokens()
    key = uuid.uuid4()
    before = line_emulator.count(RESIDENT)
    first = _reply(handler_client, asked, "年末は12月28日まで営業します。", key)
    second = _reply(handler_client, asked, "年末は12月28日まで営業します。", key)
    assert first.status_code == second.status_code == 302
    assert line_emulator.count(RESIDENT) == before + 1
    assert line_emulator.received_texts(RESIDENT).count("年末は12月28日まで営業します。") == 1
    entry = InquiryEntry.objects.get(inquiry=asked, kind="reply")
    assert entry.delivery == "push"
    assert OutboundMessage.objects.filter(dedupe_key=entry.dedupe_key).count() == 1
    asked.refresh_from_db()
    assert asked.status == "new"  # replying does not change the state


def test_a_reply_while_the_token_is_valid_uses_it_then_pushes(asked, handler_client, line_emulator, line_resident):
    line_resident.text(RESIDENT, "温水プールのほうです")  # no automatic answer: its token is unused
    _reply(handler_client, asked, "温水プールも同じです。")
    replies = [r for r in line_emulator.requests("reply") if r["status"] == 200]
    assert replies[-1]["body"]["messages"][0]["text"] == "温水プールも同じです。"
    # the token is spent: the next reply is pushed
    _reply(handler_client, asked, "ほかにご不明な点があればどうぞ。")
    pushes = [r for r in line_emulator.requests("push") if r["status"] == 200]
    assert pushes[-1]["body"]["messages"][0]["text"] == "ほかにご不明な点があればどうぞ。"
    assert list(InquiryEntry.objects.filter(inquiry=asked).order_by("pk").values_list("delivery", flat=True)) == ["reply", "push"]
    assert line_emulator.received_texts(RESIDENT).count("温水プールも同じです。") == 1


def test_a_reply_with_an_expired_token_is_pushed(asked, handler_client, line_emulator, line_resident):
    line_resident.text(RESIDENT, "温水プールのほうです")
    line_emulator.expire_reply_tokens()
    _reply(handler_client, asked, "温水プールも同じです。")
    refused = [r for r in line_emulator.requests("reply") if r["status"] == 400]
    assert refused, "the expired token was tried first"
    assert [r["body"]["messages"][0]["text"] for r in line_emulator.requests("push") if r["status"] == 200][-1] == (
        "温水プールも同じです。"
    )
    assert line_emulator.received_texts(RESIDENT).count("温水プールも同じです。") == 1


def test_notes_are_never_sent(asked, handler_client, line_emulator):
    before = line_emulator.count(RESIDENT)
    response = handler_client.post(f"/inbox/{asked.pk}/note/", {"text": "折り返し不要", "submission_key": str(uuid.uuid4())})
    assert response.status_code == 302
    assert line_emulator.count(RESIDENT) == before
    assert "折り返し不要" not in " ".join(line_emulator.received_texts(RESIDENT))
    assert "折り返し不要" in handler_client.get(f"/inbox/{asked.pk}/").content.decode()


def test_opening_it_marks_the_residents_messages_read(asked, handler_client, line_emulator, line_resident):
    line_resident.text(RESIDENT, "温水プールのほうです")
    tokens = [e["message"]["markAsReadToken"] for e in line_resident.sent if e.get("type") == "message"]
    assert not any(line_emulator.is_read(t) for t in tokens)
    handler_client.get(f"/inbox/{asked.pk}/")
    assert all(line_emulator.is_read(t) for t in tokens)
    marks = line_emulator.read_marks(RESIDENT)
    assert [m["token"] for m in marks] == [tokens[-1]]  # one call, with the latest token
    handler_client.get(f"/inbox/{asked.pk}/")
    assert len(line_emulator.read_marks(RESIDENT)) == 1  # nothing new to mark
    asked.refresh_from_db()
    assert not asked.unread


def test_an_auditor_reads_without_marking_read_or_acting(asked, make_staff, line_emulator):
    from django.test import Client

    from accounts import roles

    auditor = make_staff(roles.AUDITOR)
    client = Client()
    client.force_login(auditor)
    page = client.get(f"/inbox/{asked.pk}/")
    assert page.status_code == 200 and QUESTION in page.content.decode()
    assert line_emulator.read_marks(RESIDENT) == []
    assert 'id="send-reply"' not in page.content.decode()
    assert client.post(f"/inbox/{asked.pk}/close/").status_code == 403


def test_start_assign_close_and_reopen_follow_the_table(asked, handler_client, make_staff):
    from accounts import roles

    road = make_staff(roles.ROAD, full_name="道路 太郎")
    handler_client.post(f"/inbox/{asked.pk}/start/")
    asked.refresh_from_db()
    assert asked.status == "open" and asked.assignee is not None
    handler_client.post(f"/inbox/{asked.pk}/assign/", {"team": "roads", "assignee": road.pk})
    asked.refresh_from_db()
    assert (asked.team, asked.assignee) == ("roads", road)
    handler_client.post(f"/inbox/{asked.pk}/close/")
    asked.refresh_from_db()
    assert asked.status == "done" and asked.closed_at
    refused = _reply(handler_client, asked, "もう一度")
    assert refused.status_code == 302 and not InquiryEntry.objects.filter(inquiry=asked, kind="reply").exists()
    handler_client.post(f"/inbox/{asked.pk}/reopen/")
    asked.refresh_from_db()
    assert asked.status == "open" and asked.closed_at is None


def test_after_closing_the_next_message_opens_a_new_conversation(asked, handler_client, line_resident):
    handler_client.post(f"/inbox/{asked.pk}/close/")
    line_resident.text(RESIDENT, "キャンセル")  # leaves the inbox's chat
    line_resident.text(RESIDENT, "別の質問です。図書館の休館日は？")
    assert Inquiry.objects.filter(resident__line_user_id=RESIDENT).count() == 2
    assert Inquiry.objects.filter(resident__line_user_id=RESIDENT, status="new").count() == 1
    handler_client.post(f"/inbox/{asked.pk}/reopen/")  # refused: the newer one is open
    asked.refresh_from_db()
    assert asked.status == "done"


def test_while_staff_handle_it_the_bot_shows_the_loading_animation(asked, handler_client, line_resident, line_emulator):
    line_resident.text(RESIDENT, "まだ未対応のうちは表示しない")
    assert line_emulator.loadings(RESIDENT) == []
    handler_client.post(f"/inbox/{asked.pk}/start/")
    line_resident.text(RESIDENT, "担当の方が見ていますか")
    assert [m["seconds"] for m in line_emulator.loadings(RESIDENT)] == [60]


def test_every_view_and_action_is_audited(asked, handler_client, handler):
    handler_client.get("/inbox/")
    handler_client.get(f"/inbox/{asked.pk}/")
    handler_client.post(f"/inbox/{asked.pk}/start/")
    handler_client.post(f"/inbox/{asked.pk}/note/", {"text": "メモ", "submission_key": str(uuid.uuid4())})
    actions = list(
        AuditEntry.objects.filter(actor=handler, action__startswith="inbox.").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["inbox.list_viewed", "inbox.inquiry_viewed", "inbox.inquiry_started", "inbox.inquiry_noted"]


@pytest.mark.parametrize("extra", [0, 5])
def test_the_list_makes_the_same_queries_whatever_its_length(extra, asked, handler_client, make_residents, assert_queries):
    from portal.line.models import Resident

    make_residents(extra)
    for resident in Resident.objects.exclude(pk=asked.resident_id)[:extra]:
        Inquiry.objects.create(resident=resident)
        ChatLogEntry.objects.create(resident=resident, direction="in", kind="text", text="質問です")
    handler_client.get("/")  # the session is warm
    with assert_queries(8):
        assert handler_client.get("/inbox/").status_code == 200


def test_conversations_are_purged_after_their_last_activity(asked, handler_client, settings):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from portal import retention

    settings.RETENTION_INBOX_DAYS = 90
    handler_client.post(f"/inbox/{asked.pk}/note/", {"text": "メモ", "submission_key": str(uuid.uuid4())})
    store = next(s for s in retention.stores() if s.key == "inbox.inquiries")
    with time_machine.travel(timezone.now() + dt.timedelta(days=89), tick=False):
        assert retention.purge_store(store) == {"inquiries": 0, "entries": 0}
    with time_machine.travel(timezone.now() + dt.timedelta(days=91), tick=False):
        assert retention.purge_store(store) == {"inquiries": 1, "entries": 1}
        assert retention.purge_store(store) == {"inquiries": 0, "entries": 0}  # idempotent
    assert not Inquiry.objects.exists() and not InquiryEntry.objects.exists()


def test_a_purged_residents_conversations_go_at_the_next_run(asked):
    from django.utils import timezone

    from portal import retention

    asked.resident.__class__.objects.filter(pk=asked.resident_id).update(purged_at=timezone.now())
    store = next(s for s in retention.stores() if s.key == "inbox.inquiries")
    assert retention.purge_store(store)["inquiries"] == 1


def test_the_residents_language_is_shown_when_the_line_layer_has_it(asked, handler_client):
    from portal.line.models import Resident

    if not any(f.name == "language" for f in Resident._meta.get_fields()):
        pytest.skip("Resident.language not there yet")
    Resident.objects.filter(pk=asked.resident_id).update(language="en")
    assert 'id="inquiry-language"' in handler_client.get(f"/inbox/{asked.pk}/").content.decode()


def test_the_chosen_language_is_named_on_the_conversation_and_in_the_list(asked, handler_client):
    from portal.line.models import Resident

    assert 'id="inquiry-language"' not in handler_client.get(f"/inbox/{asked.pk}/").content.decode()  # not chosen
    Resident.objects.filter(pk=asked.resident_id).update(language="vi")
    assert '<dd id="inquiry-language" lang="vi">Tiếng Việt</dd>' in handler_client.get(f"/inbox/{asked.pk}/").content.decode()
    assert '<span class="badge" lang="vi">Tiếng Việt</span>' in handler_client.get("/inbox/").content.decode()


def test_every_conversation_is_reachable_page_by_page(asked, handler_client, make_residents, assert_queries):
    """The list shows 50 a page with 前へ / 次へ (none is out of reach, as beyond a fixed
    limit), without counting them; the API pages the same way through its Link header."""
    import re

    from portal.line.models import Resident

    make_residents(60)
    for resident in Resident.objects.exclude(pk=asked.resident_id)[:60]:
        Inquiry.objects.create(resident=resident)
    every = set(Inquiry.objects.values_list("pk", flat=True))
    assert len(every) == 61

    seen: list[int] = []
    url = "/inbox/?status=new"
    for _page in range(5):
        page = handler_client.get(url).content.decode()
        seen += [int(pk) for pk in re.findall(r'href="/inbox/(\d+)/"', page)]
        found = re.search(r'href="\?([^"]*page=\d+)">次へ', page)
        if not found:
            break
        url = "/inbox/?" + found.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(every) and len(seen) == len(every)
    assert "status=new" in url and "2 ページ目" in page

    api: list[int] = []
    url = "/inbox/api/inquiries/?status=new"
    for _page in range(5):
        answer = handler_client.get(url)
        api += [row["id"] for row in answer.json()]
        found = re.search(r'<([^>]+)>; rel="next"', answer.get("Link", ""))
        if not found:
            break
        url = found.group(1)
    assert sorted(api) == sorted(every) and len(api) == len(every)
    assert 'rel="prev"' in answer["Link"]

    handler_client.get("/")
    with assert_queries(8):  # a later page costs what the first does: no COUNT
        assert handler_client.get("/inbox/?page=2").status_code == 200
    assert handler_client.get("/inbox/?page=abc").status_code == 200  # a bad number is the first page
    entry = AuditEntry.objects.filter(action="inbox.list_viewed").order_by("-id")[1]
    assert entry.detail["page"] == 2 and entry.detail["shown"] == 11
