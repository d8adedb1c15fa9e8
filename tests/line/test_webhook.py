"""POST /line/webhook: signature, storage before 200, de-duplication, processing."""

import json
import time

import pytest

from portal.line.devtools import simulate
from portal.line.models import OutboundMessage, Resident, WebhookEvent

USER = "U" + "a" * 32


def test_missing_or_wrong_signature_is_400_and_stores_nothing(line_resident):
    body = simulate.callback_body([simulate.follow_event(USER)])
    assert line_resident.post_raw(body, None).status_code == 400
    assert line_resident.post_raw(body, simulate.signature(body, "another-secret")).status_code == 400
    assert line_resident.post_events([simulate.follow_event(USER)], secret="another-secret").status_code == 400
    assert WebhookEvent.objects.count() == 0
    assert not Resident.objects.exists()


def test_body_changed_after_signing_is_rejected(line_resident, settings):
    body = simulate.callback_body([simulate.text_event(USER, "こんにちは")])
    sig = simulate.signature(body, settings.LINE_CHANNEL_SECRET)
    tampered = body.replace("こんにちは".encode(), "さようなら".encode())
    assert line_resident.post_raw(tampered, sig).status_code == 400
    assert line_resident.post_raw(body, sig).status_code == 200


def test_malformed_json_is_400(line_resident, settings):
    for body in (b"{not json", b"[]", b'{"events": 3}'):
        assert line_resident.post_raw(body, simulate.signature(body, settings.LINE_CHANNEL_SECRET)).status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_verification_request_with_no_events_is_200(line_resident):
    assert line_resident.post_events([]).status_code == 200
    assert WebhookEvent.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get("/line/webhook").status_code == 405


def test_follow_creates_resident_with_profile_name_and_greets(line_resident, line_emulator):
    line_emulator.add_profile(USER, "博多 太郎")
    assert line_resident.follow(USER).status_code == 200
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.display_name == "博多 太郎" and resident.status == Resident.Status.ACTIVE
    texts = line_emulator.received_texts(USER)
    assert any("友だち追加ありがとうございます" in t for t in texts)
    assert any("同意しますか" in t for t in texts)
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.DONE and event.event_type == "follow"
    assert USER not in str(resident) and "博多" not in str(resident)


def test_redelivered_event_is_stored_and_processed_once(line_resident, line_emulator):
    line_resident.follow(USER)
    first = line_resident.last_event
    replies_before = line_emulator.count(USER)
    assert line_resident.redeliver(first).status_code == 200
    assert line_resident.post_events([first, first]).status_code == 200
    assert WebhookEvent.objects.filter(webhook_event_id=first["webhookEventId"]).count() == 1
    assert line_emulator.count(USER) == replies_before


def test_unknown_event_types_are_acknowledged(line_resident):
    event = simulate._base("membership", USER, reply=False)
    event["membership"] = {"type": "joined"}
    assert line_resident.post_events([event]).status_code == 200
    assert WebhookEvent.objects.get().state == WebhookEvent.State.DONE


def test_unfollow_blocks_and_follow_again_reactivates(line_resident):
    line_resident.follow(USER)
    line_resident.unfollow(USER)
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.status == Resident.Status.BLOCKED and resident.blocked_at
    line_resident.follow(USER, unblocked=True)
    resident.refresh_from_db()
    assert resident.status == Resident.Status.ACTIVE and resident.blocked_at is None


def test_expired_reply_token_falls_back_to_push(line_resident, line_emulator):
    line_resident.follow(USER)
    line_emulator.state.reply_token_ttl = -1  # every token is already expired when used
    line_resident.text(USER, "設定確認")
    pushes = line_emulator.requests("push")
    assert len(pushes) == 1 and pushes[0]["status"] == 200
    assert "まだ受信設定が登録されていません" in line_emulator.received_texts(USER)[-1]
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_stop_and_resume_segment_deliveries(line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.text(USER, "配信停止")
    assert Resident.objects.get(line_user_id=USER).segment_opt_out
    assert "停止しました" in line_emulator.received_texts(USER)[-1]
    line_resident.text(USER, "配信再開")
    assert not Resident.objects.get(line_user_id=USER).segment_opt_out


def test_event_from_a_group_is_stored_without_effect(line_resident):
    event = simulate.text_event(USER, "hello")
    event["source"] = {"type": "group", "groupId": "C" + "1" * 32, "userId": USER}
    assert line_resident.post_events([event]).status_code == 200
    assert not Resident.objects.exists()


@pytest.mark.worker
def test_events_posted_while_no_worker_runs_are_processed_when_one_starts(transactional_db, line_emulator, celery_worker_factory):
    from django.conf import settings

    from tests.fixtures.line import ResidentSimulator
    from tests.fixtures.worker import wait_for

    residents = ResidentSimulator(line_emulator)
    line_emulator.state.reply_token_ttl = 5  # the third greeting may be pushed: either way, once
    users = [f"U{i:032x}" for i in range(3)]
    for user in users:
        assert residents.follow(user).status_code == 200
    # stored, nothing processed yet
    assert WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).count() == 3
    assert not Resident.objects.exists()
    worker = celery_worker_factory(CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE)
    assert wait_for(lambda: WebhookEvent.objects.filter(state=WebhookEvent.State.DONE).count() == 3, timeout=60)
    assert Resident.objects.filter(line_user_id__in=users).count() == 3
    # the greeting went out once per resident (reply token, or a push once it expired)
    assert wait_for(lambda: all(line_emulator.count(u) == 1 for u in users), timeout=30), worker.log[-3000:]


def test_webhook_body_shape_matches_webhook_yml():
    body = json.loads(simulate.callback_body([simulate.follow_event(USER)]))
    event = body["events"][0]
    for key in ("type", "timestamp", "mode", "webhookEventId", "deliveryContext", "replyToken", "follow"):
        assert key in event
    assert len(event["webhookEventId"]) == 26


def test_broker_down_keeps_events_pending_until_the_beat_job_requeues_them(line_resident, line_emulator, monkeypatch):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from portal.celery import app
    from portal.line import tasks

    refused = []

    def broker_down(*args, **kwargs):
        refused.append(args)
        raise OperationalError("connection refused")

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.process_webhook_events, "apply_async", broker_down)  # the web process's publisher
    assert line_resident.follow(USER).status_code == 200  # still answered, event kept
    for _ in range(500):  # published off the request thread
        if refused:
            break
        time.sleep(0.01)
    assert refused
    assert WebhookEvent.objects.get().state == WebhookEvent.State.PENDING
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.requeue_pending.delay().get() == {"events": 1, "pushes": 0}
    assert WebhookEvent.objects.get().state == WebhookEvent.State.DONE
    assert Resident.objects.filter(line_user_id=USER).exists()


def test_events_of_one_body_are_processed_in_order(line_resident, line_emulator):
    events = [
        simulate.follow_event(USER),
        simulate.postback_event(USER, "flow=prefs&step=consent&value=yes"),
        simulate.text_event(USER, "配信停止"),
    ]
    assert line_resident.post_events(events).status_code == 200
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.consented_at is not None and resident.segment_opt_out
    assert WebhookEvent.objects.filter(state=WebhookEvent.State.DONE).count() == 3


def test_webhook_skips_the_staff_middleware_but_keeps_host_checking(line_resident, client, settings):
    """The webhook is answered before sessions, locale, auth, messages, allauth and MFA run
    (portal/line/middleware.py); ALLOWED_HOSTS and the security headers still apply."""
    response = line_resident.post_events([simulate.text_event(USER, "こんにちは")])
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert "Content-Language" not in response  # LocaleMiddleware did not run
    assert "Cookie" not in response.get("Vary", "")  # nor SessionMiddleware
    assert not response.cookies
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware did
    body = simulate.callback_body([simulate.text_event(USER, "もう一度")])
    sig = simulate.signature(body, settings.LINE_CHANNEL_SECRET)
    assert client.post("/line/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sig,
                       HTTP_HOST="evil.example").status_code == 400  # fmt: skip
    assert WebhookEvent.objects.count() == 1
    # every other page still goes through the whole stack
    assert "Cookie" in client.get("/line/audience/").get("Vary", "")
