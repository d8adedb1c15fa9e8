"""A real worker process killed mid-send: the batch is sent again by another worker with
the same retry key; nobody gets the message twice, nobody is skipped."""

import pytest
from django.utils import timezone

from broadcasts import fanout
from broadcasts.models import Batch, Broadcast
from tests.fixtures.worker import wait_for


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch(
    celery_worker_factory, line_emulator, segment_world, make_residents, make_broadcast, author, approver
):
    recipients = make_residents(1200, area=segment_world.areas[0])  # 3 batches
    b = make_broadcast(everyone=True, to="approved", approver=approver)  # approval enqueues the start task
    # LINE delivers at once but answers 4 s later (inside the 5 s send timeout): the worker
    # is killed while it waits, with room for a slow poll on a loaded machine.
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=4.0, limit=1)
    first = celery_worker_factory()
    assert wait_for(lambda: sum(line_emulator.counts().values()) >= 500, timeout=30), first.log[-2000:]
    first.kill()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SENDING
    assert Batch.objects.filter(broadcast=b).exclude(status=Batch.Status.DONE).exists()

    celery_worker_factory()
    # The killed worker's task: redelivered by the broker, or re-enqueued by the beat job.
    assert fanout.batches_requeue_stale(older_than=0) >= 1
    assert wait_for(lambda: Broadcast.objects.get(pk=b.pk).status == Broadcast.Status.DONE, timeout=60)
    counts = line_emulator.counts()
    assert sorted(counts.get(u, 0) for u in recipients) == [1] * len(recipients)
    statuses = [r["status"] for r in line_emulator.requests("multicast")]
    assert 409 in statuses  # the resend carried the same key; LINE had it already


@pytest.mark.django_db(transaction=True)
def test_429_does_not_block_the_worker(
    celery_worker_factory, line_emulator, segment_world, make_residents, make_broadcast, approver
):
    """A batch LINE answers 429 (Retry-After: 3) goes back to the queue with that countdown:
    the worker's only process sends the other batches meanwhile, then the refused one, with
    its own retry key; everyone gets it once."""
    recipients = make_residents(1200, area=segment_world.areas[0])  # 3 batches
    line_emulator.set_faults(rate_429=1.0, limit=1, retry_after=3.0, endpoints=["multicast"])
    b = make_broadcast(everyone=True, to="approved", approver=approver)  # approval enqueues the start task
    worker = celery_worker_factory(concurrency=1)
    assert wait_for(lambda: Broadcast.objects.get(pk=b.pk).status == Broadcast.Status.DONE, timeout=60), worker.log[-2000:]
    log = [(r["retry_key"], r["status"]) for r in line_emulator.requests("multicast")]
    refused = next(key for key, status in log if status == 429)
    resent = log.index((refused, 200))
    others = [i for i, (key, status) in enumerate(log) if status == 200 and key != refused]
    assert len(others) == 2 and max(others) < resent, log  # sent while the refused batch waited
    assert Batch.objects.get(retry_key=refused).attempts == 2
    counts = line_emulator.counts()
    assert sorted(counts.get(u, 0) for u in recipients) == [1] * len(recipients)


@pytest.mark.django_db(transaction=True)
def test_killed_workers_batch_is_resent_after_its_lease(
    celery_worker_factory, line_emulator, segment_world, make_residents, make_broadcast, approver
):
    """The batch a killed worker was sending stays leased: the stale-work job (beat, every
    BROADCAST_SWEEP_SECONDS) leaves it alone while the lease runs, and once it has expired
    sends it again with the same retry key (LINE answers 409: it had it). Nobody gets the
    broadcast twice, nobody is skipped."""
    recipients = make_residents(1200, area=segment_world.areas[0])  # 3 batches
    b = make_broadcast(everyone=True, to="approved", approver=approver)
    # LINE delivers at once but answers 3 s later: the worker is killed while it waits. Its
    # send timeout of 8 s gives a 10 s lease (the default: 5 s, 7 s).
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=3.0, limit=1)
    first = celery_worker_factory(BROADCAST_SEND_TIMEOUT="8")
    assert wait_for(lambda: sum(line_emulator.counts().values()) >= 500, timeout=30), first.log[-2000:]
    first.kill()
    killed = Batch.objects.get(broadcast=b, status=Batch.Status.SENDING)
    assert killed.locked_until > timezone.now()
    assert fanout.batches_requeue_stale() == 0  # leased: not sent again yet

    celery_worker_factory()
    others = Batch.objects.filter(broadcast=b).exclude(pk=killed.pk)
    assert wait_for(lambda: all(s == Batch.Status.DONE for s in others.values_list("status", flat=True)), timeout=30)
    assert Batch.objects.get(pk=killed.pk).status == Batch.Status.SENDING  # nobody took it over meanwhile
    key = str(killed.retry_key)
    assert [r["status"] for r in line_emulator.requests("multicast") if r["retry_key"] == key] == [200]

    assert wait_for(lambda: timezone.now() > killed.locked_until, timeout=15)
    assert fanout.batches_requeue_stale() == 1  # its lease has expired: sent again
    assert wait_for(lambda: Broadcast.objects.get(pk=b.pk).status == Broadcast.Status.DONE, timeout=30)
    assert [r["status"] for r in line_emulator.requests("multicast") if r["retry_key"] == key] == [200, 409]
    counts = line_emulator.counts()
    assert sorted(counts.get(u, 0) for u in recipients) == [1] * len(recipients)


def test_default_settings_resume_a_killed_workers_batches_within_30_seconds(settings):
    """Production defaults: a killed worker's batch is free again after its lease (a little
    longer than the send's request timeout) and re-enqueued at the next run of the stale-work
    job; together well under 30 s (no 120 s threshold with a job every minute)."""
    from portal.celery import app
    from portal.settings import base

    settings.LINE_REQUEST_TIMEOUT = base.LINE_REQUEST_TIMEOUT
    settings.BROADCAST_SEND_TIMEOUT = base.BROADCAST_SEND_TIMEOUT
    sweeps = [e for e in app.conf.beat_schedule.values() if e["task"] == "broadcasts.requeue_stale"]
    assert len(sweeps) == 1
    assert fanout.lease_seconds() > fanout.send_timeout()
    assert fanout.lease_seconds() + float(sweeps[0]["schedule"]) <= 15
