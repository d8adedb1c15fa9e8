"""The LINE layer's stores of personal data are purged by the hourly retention job
(``portal.purge_personal_data``): webhook events keep only their id once processed and go
after their period, pushes and expired conversations are deleted, blocked residents blanked."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEntry
from portal.line.models import Conversation, LineSettings, OutboundMessage, Resident, WebhookEvent
from portal.line.sender import push_to_resident
from portal.tasks import purge_personal_data

USER = "U" + "a" * 32
OTHER = "U" + "b" * 32


def _run_job_at(moment) -> dict:
    with time_machine.travel(moment, tick=False):
        return purge_personal_data.apply().get()


def test_processed_event_keeps_only_its_id_and_a_redelivery_is_still_recognised(line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.text(USER, "博多区1-2-3 山田 090-1234-5678")
    sent = line_resident.last_event
    events = WebhookEvent.objects.all()
    assert events.count() == 2 and all(e.state == WebhookEvent.State.DONE for e in events)
    assert [e.payload for e in events] == [{}, {}]  # no user ID, text or reply token left
    replies_before = len(line_emulator.received(USER))
    line_resident.redeliver(sent)
    assert WebhookEvent.objects.filter(webhook_event_id=sent["webhookEventId"]).count() == 1
    assert len(line_emulator.received(USER)) == replies_before  # not processed a second time


def test_event_rows_are_deleted_after_the_period_and_not_before(line_resident, settings):
    settings.RETENTION_WEBHOOK_EVENT_DAYS = 7
    line_resident.follow(USER)
    assert WebhookEvent.objects.count() == 1
    result = _run_job_at(timezone.now() + timedelta(days=6, hours=23))
    assert result["line.webhook_events"]["deleted"] == 0 and WebhookEvent.objects.count() == 1
    result = _run_job_at(timezone.now() + timedelta(days=7, minutes=1))
    assert result["line.webhook_events"]["deleted"] == 1 and not WebhookEvent.objects.exists()
    entry = AuditEntry.objects.filter(action="retention.purged", target_id="line.webhook_events").order_by("-id").first()
    assert entry.detail["deleted"] == "1〜49" and entry.detail["period_days"] == 7


@pytest.mark.django_db
def test_an_event_that_never_got_processed_loses_its_payload_after_its_period(settings):
    settings.RETENTION_WEBHOOK_UNPROCESSED_DAYS = 3
    payload = {
        "type": "message",
        "source": {"type": "user", "userId": USER},
        "message": {"type": "text", "text": "090-1111-2222"},
    }
    for n, state in enumerate([WebhookEvent.State.PENDING, WebhookEvent.State.FAILED]):
        WebhookEvent.objects.create(webhook_event_id=f"ev{n}", event_type="message", payload=payload, state=state)
    _run_job_at(timezone.now() + timedelta(days=2))
    assert all(e.payload == payload for e in WebhookEvent.objects.all())
    result = _run_job_at(timezone.now() + timedelta(days=3, minutes=1))
    assert result["line.webhook_events"]["payloads_emptied"] == 2
    assert {(e.payload == {}, e.state) for e in WebhookEvent.objects.all()} == {(True, WebhookEvent.State.FAILED)}
    # idempotent: a second run finds nothing more to do
    assert _run_job_at(timezone.now() + timedelta(days=3, minutes=2))["line.webhook_events"]["payloads_emptied"] == 0


def test_pushes_are_deleted_after_their_period(line_resident, line_emulator, settings):
    settings.RETENTION_OUTBOUND_MESSAGE_DAYS = 30
    line_resident.follow(USER)
    resident = Resident.objects.get(line_user_id=USER)
    push_to_resident(resident=resident, messages=[{"type": "text", "text": "ご住所: 博多区1-2-3"}], purpose="test")
    assert OutboundMessage.objects.filter(resident=resident).count() == 1
    _run_job_at(timezone.now() + timedelta(days=29))
    assert OutboundMessage.objects.filter(resident=resident).count() == 1
    result = _run_job_at(timezone.now() + timedelta(days=30, minutes=1))
    assert result["line.outbound_messages"]["deleted"] == 1
    assert not OutboundMessage.objects.exists()


def test_an_abandoned_conversation_is_gone_by_the_first_run_after_it_expires(line_resident):
    line_resident.follow(USER)
    line_resident.text(USER, "受信設定")
    assert Conversation.objects.filter(resident__line_user_id=USER).exists()
    started = Conversation.objects.get().updated_at
    _run_job_at(started + timedelta(minutes=29))
    assert Conversation.objects.exists()  # still within its 30 minutes
    result = _run_job_at(started + timedelta(minutes=31))
    assert result["line.conversations"]["deleted"] == 1
    assert not Conversation.objects.exists()


def test_blocked_resident_is_blanked_with_their_pushes_after_the_admin_set_period(line_resident, line_emulator):
    line_emulator.add_profile(USER, "城南 一郎")
    line_resident.follow(USER)
    line_resident.follow(OTHER)
    resident = Resident.objects.get(line_user_id=USER)
    Resident.objects.filter(pk=resident.pk).update(age_band="40-44", interest_bits=3)
    push_to_resident(resident=resident, messages=[{"type": "text", "text": "確認"}], purpose="test")
    line_resident.unfollow(USER)
    row = LineSettings.current()
    row.blocked_retention_days = 20
    row.save()
    _run_job_at(timezone.now() + timedelta(days=19))
    assert Resident.objects.get(pk=resident.pk).line_user_id == USER
    result = _run_job_at(timezone.now() + timedelta(days=20, minutes=1))
    assert result["line.residents"]["residents"] == 1
    purged = Resident.objects.get(pk=resident.pk)
    assert purged.line_user_id == f"purged-{resident.pk}"
    assert (purged.display_name, purged.age_band, purged.interest_bits) == ("", "", 0)
    assert not OutboundMessage.objects.filter(resident=purged).exists()
    assert Resident.objects.get(line_user_id=OTHER).purged_at is None  # still a friend: untouched
    entry = AuditEntry.objects.filter(target_id="line.residents").order_by("-id").first()
    assert entry.detail["residents"] == "1〜49" and entry.detail["period_days"] == 20
