"""A staff reply when LINE answers late or fails: LINE's reply endpoint takes no retry key, so
a reply LINE delivered but answered too late must not be pushed again (the resident would get
it twice); one LINE failed is sent once all the same; one whose fate stays unknown is said so."""

from __future__ import annotations

import uuid

import pytest

from intake.inbox.models import InquiryEntry
from tests.inbox.conftest import RESIDENT

TEXT = "温水プールも年末は28日までです。"


@pytest.fixture
def fast_timeout(settings):
    settings.LINE_REQUEST_TIMEOUT = 0.5


def _reply(client, inquiry):
    response = client.post(f"/inbox/{inquiry.pk}/reply/", {"text": TEXT, "submission_key": str(uuid.uuid4()), "template": ""})
    assert response.status_code == 302
    return InquiryEntry.objects.get(inquiry=inquiry, kind="reply")


def _statuses(emulator, endpoint):
    return [r["status"] for r in emulator.requests(endpoint) if r["body"] and TEXT in str(r["body"])]


@pytest.mark.parametrize(
    ("faults", "replies", "pushes", "delivery"),
    [
        # delivered but answered late: the retry finds the token spent, nothing is pushed
        ({"delay_rate": 1.0, "delay_seconds": 1.0}, [200, 400], [], "reply"),
        # LINE failed: the same token again, sent once
        ({"rate_500": 1.0}, [500, 200], [], "reply"),
        # LINE refused for the rate: surely not delivered, pushed once
        ({"rate_429": 1.0}, [429], [200], "push"),
    ],
    ids=["late-answer-not-sent-again", "500-sent-once", "429-pushed-once"],
)
def test_a_reply_under_a_line_fault_reaches_the_resident_once(
    asked, handler_client, line_resident, line_emulator, fast_timeout, faults, replies, pushes, delivery
):
    line_resident.text(RESIDENT, "温水プールのほうです")  # its reply token is unused
    line_emulator.set_faults(**faults, limit=1, endpoints=["reply"])
    entry = _reply(handler_client, asked)
    assert line_emulator.received_texts(RESIDENT).count(TEXT) == 1
    assert _statuses(line_emulator, "reply") == replies
    assert _statuses(line_emulator, "push") == pushes
    assert entry.delivery == delivery


def test_a_reply_line_never_answers_is_not_pushed_and_staff_are_told(asked, handler_client, line_resident, line_emulator,
                                                                      fast_timeout):  # fmt: skip
    line_resident.text(RESIDENT, "温水プールのほうです")
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=1.0, endpoints=["reply"])
    entry = _reply(handler_client, asked)
    line_emulator.set_faults()
    assert line_emulator.received_texts(RESIDENT).count(TEXT) == 1  # the first try got through
    assert _statuses(line_emulator, "push") == []
    assert entry.delivery == "unknown"
    page = handler_client.get(f"/inbox/{asked.pk}/").content.decode()
    assert "届いたか確認できません" in page
