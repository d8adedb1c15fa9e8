"""The shared sender: push_to_resident + line.send_outbound through the emulator."""

import pytest

from portal.line import sender, tasks
from portal.line.models import OutboundMessage, Resident
from tests.fixtures.commit import committed

TEXT = [{"type": "text", "text": "収集日のお知らせ"}]


@pytest.fixture
def resident(db):
    return Resident.objects.create(line_user_id="U" + "b" * 32)


def _push(**kwargs) -> OutboundMessage:
    with committed():
        outbound = sender.push_to_resident(**kwargs)
    outbound.refresh_from_db()
    return outbound


def test_push_is_sent_with_its_saved_retry_key(line_emulator, resident):
    outbound = _push(resident=resident, messages=TEXT, purpose="test")
    assert outbound.status == OutboundMessage.Status.SENT and outbound.line_request_id
    assert line_emulator.received(resident.line_user_id) == TEXT
    (request,) = line_emulator.requests("push")
    assert request["retry_key"] == str(outbound.retry_key)


def test_dedupe_key_makes_a_second_call_a_no_op(line_emulator, resident):
    first = _push(resident=resident, messages=TEXT, purpose="reminder", dedupe_key="reminder:1")
    second = _push(resident=resident, messages=TEXT, purpose="reminder", dedupe_key="reminder:1")
    assert first.pk == second.pk
    assert line_emulator.count(resident.line_user_id) == 1


def test_blocked_resident_is_skipped(line_emulator, resident):
    resident.status = Resident.Status.BLOCKED
    resident.save()
    outbound = _push(resident=resident, messages=TEXT, purpose="test")
    assert outbound.status == OutboundMessage.Status.SKIPPED
    assert line_emulator.requests("push") == []


def test_timeout_is_retried_with_the_same_key_and_409_counts_as_sent(line_emulator, resident, settings):
    settings.LINE_REQUEST_TIMEOUT = 0.3
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=0.6, limit=1)
    outbound = _push(resident=resident, messages=TEXT, purpose="test")
    assert outbound.status == OutboundMessage.Status.SENT
    statuses = [r["status"] for r in line_emulator.requests("push")]
    assert statuses == [200, 409]  # the first was delivered, its answer came too late
    assert {r["retry_key"] for r in line_emulator.requests("push")} == {str(outbound.retry_key)}
    assert line_emulator.count(resident.line_user_id) == 1


def test_server_errors_are_retried_until_sent(line_emulator, resident):
    line_emulator.set_faults(rate_500=1.0, limit=2)
    outbound = _push(resident=resident, messages=TEXT, purpose="test")
    assert outbound.status == OutboundMessage.Status.SENT and outbound.attempts == 3
    assert [r["status"] for r in line_emulator.requests("push")] == [500, 500, 200]
    assert line_emulator.count(resident.line_user_id) == 1


def test_other_4xx_fails_with_lines_message(line_emulator, resident):
    outbound = _push(resident=resident, messages=[{"type": "text", "text": "あ" * 5001}], purpose="test")
    assert outbound.status == OutboundMessage.Status.FAILED
    assert outbound.last_error.startswith("400: The request body has 1 error(s)")
    assert line_emulator.count(resident.line_user_id) == 0


def test_gives_up_after_max_retries(line_emulator, resident):
    line_emulator.set_faults(rate_429=1.0)
    outbound = _push(resident=resident, messages=TEXT, purpose="test")
    assert outbound.status == OutboundMessage.Status.FAILED
    assert "gave up" in outbound.last_error
    assert line_emulator.count(resident.line_user_id) == 0


@pytest.mark.worker
def test_worker_honours_retry_after_then_sends_once(transactional_db, line_emulator, celery_worker_factory, settings):
    from tests.fixtures.worker import wait_for

    resident = Resident.objects.create(line_user_id="U" + "c" * 32)
    line_emulator.set_faults(rate_429=1.0, retry_after=2, limit=1)
    worker = celery_worker_factory(CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE)
    outbound = sender.push_to_resident(resident=resident, messages=TEXT, purpose="test")
    assert wait_for(lambda: OutboundMessage.objects.get(pk=outbound.pk).status == "sent", timeout=40), worker.log[-2000:]
    pushes = line_emulator.requests("push")
    assert [r["status"] for r in pushes] == [429, 200]
    assert pushes[0]["retry_key"] == pushes[1]["retry_key"] == str(outbound.retry_key)
    outbound.refresh_from_db()
    assert (outbound.sent_at - outbound.created_at).total_seconds() >= 2.0
    assert line_emulator.count(resident.line_user_id) == 1


def test_requeue_picks_up_stale_pending_work(line_emulator, resident):
    from datetime import timedelta

    from django.utils import timezone

    from portal.line.devtools.simulate import follow_event
    from portal.line.models import WebhookEvent

    old = timezone.now() - timedelta(minutes=20)
    outbound = OutboundMessage.objects.create(resident=resident, messages=TEXT, purpose="test", created_at=old)
    event = WebhookEvent.objects.create(
        webhook_event_id="01TESTEVENT0000000000000000", event_type="follow", payload=follow_event("U" + "d" * 32), received_at=old
    )
    assert tasks.requeue_pending() == {"events": 1, "pushes": 1}
    outbound.refresh_from_db()
    event.refresh_from_db()
    assert outbound.status == OutboundMessage.Status.SENT
    assert event.state == WebhookEvent.State.DONE
    assert Resident.objects.filter(line_user_id="U" + "d" * 32).exists()
