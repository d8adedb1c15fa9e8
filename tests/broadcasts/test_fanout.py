"""Fan-out: every recipient of a sent broadcast gets it exactly once from the emulator,
also under injected 429/500, timeouts after delivery, and a failed batch retried."""

import json
import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django import db
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from broadcasts import fanout, privacy, services
from broadcasts.models import Batch, Broadcast
from portal.line import sender
from tests.fixtures.broadcasts import approve_on_page, assert_exactly_once
from tests.fixtures.worker import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(sender, "backoff", lambda attempt, retry_after=None: 0.0)


@pytest.fixture
def crowd(make_crowd):
    """1,130 recipients in area 0 (3 batches), plus people who must not receive it."""
    return make_crowd(1130, outside=60, opted_out=20, blocked=20)


def _send(client, author, approver, make_broadcast, area, run_on_commit) -> Broadcast:
    """承認後すぐに配信: the approver's approval alone sends it (nobody presses 今すぐ配信)."""
    b = make_broadcast(areas=[area], to="pending")
    approve_on_page(client, approver, b, run_on_commit)
    client.force_login(author)
    return b


def test_every_recipient_gets_it_exactly_once(client, author, approver, make_broadcast, crowd, line_emulator, run_on_commit):
    recipients, others, area = crowd
    b = _send(client, author, approver, make_broadcast, area, run_on_commit)
    assert b.status == Broadcast.Status.DONE
    assert b.recipients_total == 1130
    sizes = list(b.batches.order_by("number").values_list("size", flat=True))
    assert sizes == [500, 500, 130]
    assert len({k for k in b.batches.values_list("retry_key", flat=True)}) == 3
    assert_exactly_once(line_emulator, recipients, others)
    sent = [r for r in line_emulator.requests("multicast") if r["status"] == 200]
    assert sorted(r["retry_key"] for r in sent) == sorted(str(k) for k in b.batches.values_list("retry_key", flat=True))
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    # residents only as the rounded stored noisy figure (privacy.sent_figures), never batches
    assert "配信完了" in page and "バッチ" not in page
    assert not re.search(r"(?<![\d,約])1,130人", page)
    progress = client.get(reverse("broadcasts:progress", args=[b.pk])).json()
    assert progress["phase"] == "done" and progress["finished"] and progress["percent"] == 100
    b.refresh_from_db()
    assert progress["reached"] == privacy.figure_text(privacy.figure(b.recipients_noisy))
    shown = int(re.fullmatch(r"約([\d,]+)人", progress["reached"]).group(1).replace(",", ""))
    assert shown % 10 == 0 and abs(shown - 1130) <= 150
    assert progress["total"] == progress["reached"] and progress["reached"] in page
    assert progress["headline"] == f"配信完了 — {progress['reached']}に配信しました"
    assert progress["started_at"] and progress["finished_at"]
    assert "1130" not in json.dumps(progress) and not any("batch" in key for key in progress)


def test_exactly_once_under_429_500_and_timeouts(
    client, author, approver, make_broadcast, crowd, line_emulator, run_on_commit, fast_retries, settings, monkeypatch
):
    recipients, others, area = crowd
    settings.LINE_REQUEST_TIMEOUT = 0.5
    # 429 with Retry-After, 500s, and answers that arrive after the client gave up although
    # LINE had delivered (the retry with the same key gets 409 = delivered). Every one of the
    # three is a failed attempt, so an attempt fails with p = 0.6: with the default 8 attempts
    # a batch would give up with 0.6**8 ≈ 1.7 % (5 % a run of 3 batches); 30 make it 2e-7.
    monkeypatch.setattr(fanout, "MAX_ATTEMPTS", 30)
    line_emulator.set_faults(rate_429=0.2, rate_500=0.2, delay_rate=0.2, delay_seconds=0.8, retry_after=0.01)
    b = _send(client, author, approver, make_broadcast, area, run_on_commit)
    assert b.status == Broadcast.Status.DONE
    statuses = Counter(r["status"] for r in line_emulator.requests("multicast"))
    assert statuses[429] + statuses[500] > 0, statuses
    assert_exactly_once(line_emulator, recipients, others)
    assert all(k.attempts >= 1 for k in b.batches.all())


def test_delivered_then_timed_out_is_counted_once_via_409(
    client, author, approver, make_broadcast, crowd, line_emulator, run_on_commit, fast_retries, settings
):
    recipients, others, area = crowd
    settings.LINE_REQUEST_TIMEOUT = 0.5
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=0.8, limit=3)  # every batch's first answer is late
    b = _send(client, author, approver, make_broadcast, area, run_on_commit)
    assert b.status == Broadcast.Status.DONE
    assert Counter(r["status"] for r in line_emulator.requests("multicast"))[409] == 3
    assert_exactly_once(line_emulator, recipients, others)


def test_failed_batch_is_retried_by_an_approver_with_the_same_key(
    client, author, approver, make_broadcast, crowd, line_emulator, run_on_commit, fast_retries, monkeypatch
):
    recipients, others, area = crowd
    monkeypatch.setattr(fanout, "MAX_ATTEMPTS", 2)
    line_emulator.set_faults(rate_500=1.0, limit=2)  # the first batch fails twice: gives up
    b = _send(client, author, approver, make_broadcast, area, run_on_commit)
    assert b.status == Broadcast.Status.PARTIAL
    failed = b.batches.get(status=Batch.Status.FAILED)
    assert "再試行の上限" in failed.error
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert "一部失敗" in page and "届かなかった方に再送" in page and "バッチ" not in page
    progress = client.get(reverse("broadcasts:progress", args=[b.pk])).json()
    assert progress["phase"] == "partial" and "届かなかった方にだけ送り直します" in progress["advice"]
    # the author may not retry; an approver may
    assert client.post(reverse("broadcasts:retry", args=[b.pk])).status_code == 403
    client.force_login(approver)
    with run_on_commit():
        client.post(reverse("broadcasts:retry", args=[b.pk]))
    b.refresh_from_db()
    failed.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert failed.status == Batch.Status.DONE
    keys = [r["retry_key"] for r in line_emulator.requests("multicast")]
    assert keys.count(str(failed.retry_key)) == 3  # two 500s and the successful retry, one key
    assert_exactly_once(line_emulator, recipients, others)


def test_rejected_batch_fails_with_lines_message(client, author, approver, make_broadcast, crowd, line_emulator, run_on_commit):
    recipients, others, area = crowd
    line_emulator.state.token = "another-token"  # LINE answers 401 to every request
    b = _send(client, author, approver, make_broadcast, area, run_on_commit)
    assert b.status == Broadcast.Status.PARTIAL
    assert set(b.batches.values_list("status", flat=True)) == {Batch.Status.FAILED}
    assert all(e.startswith("401") for e in b.batches.values_list("error", flat=True))
    assert all(k == 1 for k in b.batches.values_list("attempts", flat=True))


def test_duplicate_task_delivery_sends_once(author, approver, make_broadcast, crowd, line_emulator, run_on_commit):
    """The same batch task delivered twice (broker redelivery) sends one request."""
    from broadcasts import tasks

    recipients, others, area = crowd
    b = make_broadcast(areas=[area], to="approved", approver=approver)  # on-commit not run: no task yet
    fanout.broadcast_start(broadcast_id=b.pk)  # snapshot, without running the batch tasks
    for batch in b.batches.all():
        tasks.send_batch.delay(batch.pk)
        tasks.send_batch.delay(batch.pk)
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert len(line_emulator.requests("multicast")) == 3
    assert_exactly_once(line_emulator, recipients, others)


def test_exclude_recipients_of_an_earlier_broadcast(
    author, approver, segment_world, make_residents, line_emulator, send_broadcast
):
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    first_ids = make_residents(60, area=a0)
    later_ids = make_residents(55, area=a1)
    first = send_broadcast(areas=[a0], text="第1回")
    assert first.status == Broadcast.Status.DONE
    second = send_broadcast(areas=[a0, a1], exclude=first, text="第2回")
    assert second.recipients_total == 55
    assert all(line_emulator.received_texts(u) == ["第1回"] for u in first_ids)
    assert all(line_emulator.received_texts(u) == ["第2回"] for u in later_ids)


def test_emergency_broadcast_uses_the_broadcast_endpoint_after_two_taps(
    client, author, approver, segment_world, make_residents, line_emulator, run_on_commit
):
    make_residents(3, area=segment_world.areas[0])  # few friends: emergency is exempt from the minimum
    client.force_login(author)
    client.post(
        reverse("broadcasts:emergency_new"),
        {"title": "避難指示", "bubble-0-type": "text", "bubble-0-text": "避難してください", "action": "submit"},
    )
    b = Broadcast.objects.get(title="避難指示")
    assert b.kind == Broadcast.Kind.EMERGENCY and b.status == Broadcast.Status.PENDING
    client.force_login(approver)
    # tap 1: the approvals list links to the one-screen review; tap 2: approve
    listing = client.get(reverse("broadcasts:approvals")).content.decode()
    assert reverse("broadcasts:review", args=[b.pk]) in listing
    page = client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    assert "承認して今すぐ配信" in page and 'name="viewport"' in page
    with run_on_commit():
        version = re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)
        client.post(reverse("broadcasts:approve", args=[b.pk]), {"next": "review", "version": version})
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert line_emulator.broadcasts() and line_emulator.requests("multicast") == []
    assert len(line_emulator.requests("broadcast")) == 1


def test_live_progress_while_sending(client, author, approver, make_broadcast, crowd, line_emulator):
    """From the approval on, the polling endpoint speaks residents' terms in rounded
    figures (「配信中 約500 / 約1,100人」), with a share for the bar; the page polls it."""
    recipients, others, area = crowd
    b = make_broadcast(areas=[area], to="approved", approver=approver)  # on-commit not run: no task yet
    client.force_login(author)
    # the first second: approved, the recipients not frozen yet
    progress = client.get(reverse("broadcasts:progress", args=[b.pk])).json()
    assert progress["phase"] == "preparing" and progress["status"] == "配信中" and progress["live"]
    assert progress["headline"].startswith("配信準備中") and progress["total"].startswith("約")
    assert progress["percent"] is None and progress["reached"] == "0人"
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert 'data-live="1"' in page and "progress.js" in page and "<progress" in page and "<script>" not in page
    fanout.broadcast_start(broadcast_id=b.pk)  # snapshot; the batch tasks have not run yet
    first = b.batches.order_by("number").first()
    fanout.batch_send(batch_id=first.pk)
    progress = client.get(reverse("broadcasts:progress", args=[b.pk])).json()
    assert progress["phase"] == "sending" and progress["status"] == "配信中" and not progress["finished"]
    assert re.fullmatch(r"約[\d,]+人", progress["reached"]) and "500" not in progress["reached"]
    assert re.fullmatch(r"約[\d,]+人", progress["total"]) and progress["percent"] == 33
    assert progress["headline"] == f"配信中 {progress['reached']} / {progress['total']}"
    assert progress["started_at"] and not progress["finished_at"]
    b.refresh_from_db()
    assert progress["total"] == privacy.figure_text(privacy.figure(b.recipients_noisy))
    assert "1130" not in json.dumps(progress) and not any("batch" in key for key in progress)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite locks the whole file)")
def test_no_lock_is_held_while_lines_answer_is_awaited(approver, make_broadcast, crowd, line_emulator, monkeypatch):
    """While a batch waits for LINE's answer its claim is already committed: another
    connection locks the batch's row and the broadcast's row at once (NOWAIT)."""
    recipients, others, area = crowd
    monkeypatch.setattr(services, "_enqueue_start", lambda broadcast: None)
    monkeypatch.setattr(fanout, "batches_enqueue", lambda **kwargs: None)
    b = make_broadcast(areas=[area], to="approved", approver=approver)
    fanout.broadcast_start(broadcast_id=b.pk)  # the snapshot; no batch task runs
    first = b.batches.order_by("number").first()
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=1.5, limit=1)  # delivered, answered 1.5 s later

    def send() -> None:
        try:
            fanout.batch_send(batch_id=first.pk)
        finally:
            db.connection.close()

    thread = threading.Thread(target=send)
    thread.start()
    try:
        assert wait_for(lambda: sum(line_emulator.counts().values()) == 500, timeout=10)
        with transaction.atomic():  # LINE has not answered yet
            Batch.objects.select_for_update(nowait=True).get(pk=first.pk)
            Broadcast.objects.select_for_update(nowait=True).get(pk=b.pk)
    finally:
        thread.join(timeout=10)
    first.refresh_from_db()
    assert first.status == Batch.Status.DONE and thread.is_alive() is False


def test_a_batch_whose_task_was_lost_before_its_claim_is_sent(
    approver, make_broadcast, crowd, line_emulator, monkeypatch, time_machine
):
    """A worker killed with a batch task it had taken but not yet claimed: the later batches
    go out, and seconds later the stale-work job sends the skipped one."""
    recipients, others, area = crowd
    monkeypatch.setattr(services, "_enqueue_start", lambda broadcast: None)
    monkeypatch.setattr(fanout, "batches_enqueue", lambda **kwargs: None)
    b = make_broadcast(areas=[area], to="approved", approver=approver)
    fanout.broadcast_start(broadcast_id=b.pk)  # the snapshot; no batch task runs
    lost, *later = b.batches.order_by("number")
    for batch in later:  # their tasks ran; the first one's was lost
        fanout.batch_send(batch_id=batch.pk)
    assert fanout.batches_requeue_stale() == 0  # not yet: it may still be on its way
    time_machine.move_to(timezone.now() + timedelta(seconds=fanout.LOST_AFTER + 1))
    assert fanout.batches_requeue_stale() == 1
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert Batch.objects.get(pk=lost.pk).attempts == 1
    assert_exactly_once(line_emulator, recipients, others)
