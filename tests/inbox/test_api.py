"""The staff inbox through the API: the table's actions with the pages' permission, replies
once per submission_key, the one error shape, no personal data in any answer, and every
read audited as the pages audit it."""

import uuid

import pytest

from accounts import roles
from accounts.models import AuditEntry
from intake.inbox.models import Inquiry, InquiryEntry
from portal.line.models import Resident

from .conftest import RESIDENT

pytestmark = pytest.mark.django_db

FIELDS = {"id", "status", "status_label", "team", "assignee", "language", "unread", "opened_at", "last_message_at",
          "closed_at", "updated_at"}  # fmt: skip
QUESTION = "市民プールは年末も開いていますか？"


def post(client, inquiry, action, **data):
    return client.post(f"/inbox/api/inquiries/{inquiry.pk}/{action}/", data, content_type="application/json")


def assert_no_personal_data(response, resident):
    text = response.content.decode()
    assert QUESTION not in text and RESIDENT not in text and resident.line_user_id not in text
    assert "山田 太郎" not in text and "広報 花子" not in text  # the resident's LINE name, the handler's


def test_a_handler_starts_and_closes_through_the_api_as_the_page_would(asked, handler_client, handler):
    response = post(handler_client, asked, "start")

    assert response.status_code == 200, response.content
    assert set(response.json()) == FIELDS
    assert response.json()["status"] == "open" and response.json()["assignee"] == handler.pk
    asked.refresh_from_db()
    assert asked.status == Inquiry.Status.OPEN and asked.assignee == handler
    assert post(handler_client, asked, "close").json()["status"] == "done"
    entry = AuditEntry.objects.filter(action="inbox.inquiry_started").get()
    assert entry.detail == {"via": "api", "result": "done"}


def test_an_auditor_reads_but_may_not_act_and_nothing_changes(asked, make_staff, client):
    client.force_login(make_staff(roles.AUDITOR))
    assert client.get(f"/inbox/api/inquiries/{asked.pk}/").status_code == 200

    response = post(client, asked, "start")

    assert response.status_code == 403
    asked.refresh_from_db()
    assert asked.status == Inquiry.Status.NEW and asked.assignee is None


def test_a_refused_transition_answers_409_with_the_one_error_shape(asked, handler_client):
    response = post(handler_client, asked, "reopen")  # 未対応: nothing to reopen

    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "code", "details"} and body["code"] == "invalid_state"
    asked.refresh_from_db()
    assert asked.status == Inquiry.Status.NEW


def test_a_reply_needs_its_submission_key_and_is_sent_once_per_key(asked, handler_client, line_emulator):
    line_emulator.expire_reply_tokens()
    before = line_emulator.count(RESIDENT)

    missing = post(handler_client, asked, "reply", text="年末は12月28日まで営業します。")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_input"
    assert "submission_key" in missing.json()["details"]["fields"]
    assert not InquiryEntry.objects.filter(kind="reply").exists()

    key = str(uuid.uuid4())
    first = post(handler_client, asked, "reply", text="年末は12月28日まで営業します。", submission_key=key)
    second = post(handler_client, asked, "reply", text="年末は12月28日まで営業します。", submission_key=key)

    assert first.status_code == second.status_code == 200
    assert line_emulator.count(RESIDENT) == before + 1
    assert InquiryEntry.objects.filter(inquiry=asked, kind="reply").count() == 1
    # The answer is the conversation's bookkeeping, not the reply's text.
    assert set(first.json()) == FIELDS and "12月28日" not in first.content.decode()


def test_the_answers_carry_no_personal_data_and_every_read_is_audited(asked, handler_client, handler):
    Resident.objects.filter(pk=asked.resident_id).update(language="vi", display_name="山田 太郎")
    handler_client.post(f"/inbox/api/inquiries/{asked.pk}/start/")
    seen = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    listing = handler_client.get("/inbox/api/inquiries/?status=open")
    detail = handler_client.get(f"/inbox/api/inquiries/{asked.pk}/")

    assert listing.status_code == detail.status_code == 200
    assert [set(row) for row in listing.json()] == [FIELDS]
    assert set(detail.json()) == FIELDS and detail.json()["language"] == "vi" and detail.json()["assignee"] == handler.pk
    for response in (listing, detail):
        assert_no_personal_data(response, asked.resident)
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    entries = AuditEntry.objects.filter(actor=handler, action__startswith="inbox.", id__gt=seen).order_by("id")
    assert [e.action for e in entries] == ["inbox.list_viewed", "inbox.inquiry_viewed"]
    assert entries[0].detail == {"status": "open", "team": "", "mine": False, "shown": 1}
    assert entries[1].target_id == str(asked.pk)


def test_someone_without_the_inbox_permission_reads_nothing(asked, make_staff, client):
    client.force_login(make_staff(roles.PR_APPROVER))
    assert client.get("/inbox/api/inquiries/").status_code == 403
    assert client.get(f"/inbox/api/inquiries/{asked.pk}/").status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="inbox.").exists()
