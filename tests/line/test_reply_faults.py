"""The bot's own replies under LINE's faults: a reply delivered but answered after the
client's timeout is not pushed again (LINE's reply endpoint has no retry key)."""

from __future__ import annotations

import pytest

from portal.line.devtools.simulate import user_id_for

LATE = user_id_for("late-reply-resident")
CONTROL = user_id_for("control-resident")


@pytest.fixture
def fast_timeout(settings):
    settings.LINE_REQUEST_TIMEOUT = 0.5


def test_a_late_answered_reply_reaches_the_resident_once(line_resident, line_emulator, fast_timeout):
    line_resident.follow(CONTROL)
    expected = line_emulator.received_texts(CONTROL)
    assert expected, "the greeting is sent"
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=1.0, limit=1, endpoints=["reply"])
    line_resident.follow(LATE)
    assert line_emulator.received_texts(LATE) == expected
    assert not [r for r in line_emulator.requests("push") if r["body"] and LATE in str(r["body"])]


def test_a_reply_line_failed_with_500_is_still_sent_once(line_resident, line_emulator, fast_timeout):
    line_resident.follow(CONTROL)
    expected = line_emulator.received_texts(CONTROL)
    line_emulator.set_faults(rate_500=1.0, limit=1, endpoints=["reply"])
    line_resident.follow(LATE)
    assert line_emulator.received_texts(LATE) == expected
    # sent by the same token again, not pushed (a 500 may hide a delivery: never a second copy)
    assert [r["status"] for r in line_emulator.requests("reply")][-2:] == [500, 200]
    assert not [r for r in line_emulator.requests("push") if r["body"] and LATE in str(r["body"])]
