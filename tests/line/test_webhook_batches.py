"""Webhook events processed in batches (``line.process_webhook_events``: several events in one
transaction, claimed by one UPDATE) and published in batches by the web process: still
exactly once — for a batch given twice, two workers racing on the same ids, a redelivery,
a batch in which one event fails — and in order."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from portal.line import tasks
from portal.line.devtools import simulate
from portal.line.models import Conversation, Resident, WebhookEvent
from tests.fixtures.threads import race

DONE, PENDING, FAILED = WebhookEvent.State.DONE, WebhookEvent.State.PENDING, WebhookEvent.State.FAILED


def _store(line_emulator, events: list[dict]) -> list[int]:
    """Post ``events`` (one signed body each) to the webhook without processing them: the
    test transaction never commits, so the enqueue after commit never runs."""
    client = Client()
    for event in events:
        line_emulator.state.add_reply_token(event["replyToken"], event["source"]["userId"])
        body = simulate.callback_body([event])
        signature = simulate.signature(body, settings.LINE_CHANNEL_SECRET)
        assert (
            client.post("/line/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature).status_code
            == 200
        )
    ids = list(WebhookEvent.objects.filter(state=PENDING).order_by("pk").values_list("pk", flat=True))
    assert len(ids) == len(events)
    return ids


def _users(n: int, tag: str) -> list[str]:
    return [simulate.user_id_for(f"batch-{tag}-{i}") for i in range(n)]


def test_a_batch_given_twice_is_processed_once(line_emulator, db):
    users = _users(6, "twice")
    ids = _store(line_emulator, [simulate.text_event(u, "こんにちは") for u in users])
    assert tasks.process_webhook_events(ids) == 6
    assert tasks.process_webhook_events(ids) == 0  # the broker delivered the task again
    assert tasks.process_webhook_events(list(reversed(ids[2:]))) == 0  # or another batch overlaps it
    assert WebhookEvent.objects.filter(state=DONE).count() == 6
    assert WebhookEvent.objects.filter(payload={}).count() == 6  # emptied when processed
    assert Resident.objects.filter(line_user_id__in=users).count() == 6
    assert all(line_emulator.count(u) == 1 for u in users)


def test_a_redelivered_event_is_stored_and_processed_once(line_emulator, line_resident):
    users = _users(3, "redelivery")
    events = [simulate.text_event(u, "こんにちは") for u in users]
    ids = _store(line_emulator, events)
    assert tasks.process_webhook_events(ids) == 3
    for event in events:  # LINE redelivers after the events were processed
        assert line_resident.redeliver(event).status_code == 200
    assert WebhookEvent.objects.count() == 3
    assert all(line_emulator.count(u) == 1 for u in users)


def test_events_of_one_resident_in_a_batch_apply_in_order(line_emulator, db):
    user = simulate.user_id_for("batch-order")
    other = simulate.user_id_for("batch-order-other")
    events = [
        simulate.follow_event(user),
        simulate.text_event(other, "こんにちは"),
        simulate.text_event(user, "受信設定"),  # starts a conversation
        simulate.text_event(user, "キャンセル"),  # ends it: needs the conversation the event before made
        simulate.text_event(user, "配信停止"),
        simulate.unfollow_event(user),
        simulate.text_event(user, "こんにちは"),  # from a resident who just blocked: no answer
    ]
    for event in events:
        event.setdefault("replyToken", simulate.new_reply_token())
    ids = _store(line_emulator, events)
    assert tasks.process_webhook_events(ids) == len(events)
    resident = Resident.objects.get(line_user_id=user)
    assert resident.segment_opt_out and resident.status == Resident.Status.BLOCKED
    assert not Conversation.objects.filter(resident=resident).exists()
    texts = line_emulator.received_texts(user)
    assert any("手続きを中止しました" in t for t in texts)
    assert any("配信を停止しました" in t for t in texts)
    assert line_emulator.count(other) == 1
    replied = {r["body"]["replyToken"] for r in line_emulator.requests("reply")}
    assert events[2]["replyToken"] in replied and events[4]["replyToken"] in replied
    assert events[-1]["replyToken"] not in replied  # blocked by the event before it in the same batch
    assert not [r for r in line_emulator.requests("push") if r["body"]["to"] == user]


def test_a_failing_event_rolls_back_its_batch_and_the_others_are_processed_once(line_emulator, db, monkeypatch):
    from portal.line import chat

    class Broken:
        name = "broken-test-flow"

        def matches(self, event):
            return event.kind == "text" and event.text == "壊れる"

        def start(self, ctx):
            ctx.start(self.name, "first")  # a write, rolled back with the batch
            raise RuntimeError("flow bug")

        def handle(self, ctx):
            raise RuntimeError("flow bug")

    monkeypatch.setattr(chat, "_flows", [(0, Broken()), *chat._flows])
    users = _users(4, "failing")
    texts = ["こんにちは", "壊れる", "こんにちは", "こんにちは"]
    ids = _store(line_emulator, [simulate.text_event(u, t) for u, t in zip(users, texts, strict=True)])
    assert tasks.process_webhook_events(ids) == 3
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert [states[pk] for pk in ids] == [DONE, PENDING, DONE, DONE]
    failed = WebhookEvent.objects.get(pk=ids[1])
    assert failed.attempts == 1 and failed.error == "RuntimeError" and failed.locked_until is not None  # backing off
    assert failed.payload  # kept for the retry
    assert not Conversation.objects.filter(flow="broken-test-flow").exists()  # its write rolled back
    assert [line_emulator.count(u) for u in users] == [1, 0, 1, 1]
    assert tasks.process_webhook_events(ids) == 0  # the failed one waits for its backoff; the rest are done


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers (SQLite serialises them)")
def test_two_workers_racing_on_the_same_batches_process_each_event_once(line_emulator, transactional_db):
    users = _users(40, "race")
    events = [simulate.text_event(u, "こんにちは") for u in users]
    for event in events:
        line_emulator.state.add_reply_token(event["replyToken"], event["source"]["userId"])
    stored = WebhookEvent.objects.bulk_create(  # stored and committed, not enqueued
        WebhookEvent(webhook_event_id=e["webhookEventId"], event_type=e["type"], payload=e) for e in events
    )
    ids = sorted(e.pk for e in stored)
    # four workers, each given overlapping batches (as a redelivered task and the beat job would)
    batches = [ids, list(reversed(ids)), ids[:25], ids[15:]]
    processed = race(tasks.process_webhook_events, batches)
    # an event skipped by every batch (locked by another) is left to nobody: none may be
    assert sum(n for n in processed if isinstance(n, int)) == 40, processed
    assert WebhookEvent.objects.filter(state=DONE).count() == 40
    assert Resident.objects.filter(line_user_id__in=users).count() == 40
    assert all(line_emulator.count(u) == 1 for u in users)


def test_the_web_process_publishes_every_stored_event_once_in_batches(line_emulator, db, monkeypatch):
    """With a real broker the web process hands stored events to its publisher thread,
    which publishes them batched: none lost, none twice."""
    from portal.celery import app

    published: list[list[int]] = []
    lock = threading.Lock()

    def record(args=None, **kwargs):
        with lock:
            published.append(list(args[0]))

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.process_webhook_events, "apply_async", record)
    from tests.fixtures.line import ResidentSimulator

    residents = ResidentSimulator(line_emulator)
    users = _users(30, "publish")
    for user in users:
        assert residents.text(user, "こんにちは").status_code == 200
    stored = sorted(WebhookEvent.objects.values_list("pk", flat=True))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sum(len(b) for b in published) < len(stored):
        time.sleep(0.02)
    ids = [pk for batch in published for pk in batch]
    assert sorted(ids) == stored  # every stored event, once
    assert all(len(batch) <= 50 for batch in published)
    assert WebhookEvent.objects.filter(state=PENDING).count() == 30  # nothing processed in the request
