"""A real worker process killed mid-send: the batch is sent again by another worker with
the same retry key; nobody gets the message twice, nobody is skipped."""

import pytest

from broadcasts import fanout
from broadcasts.models import Batch, Broadcast
from tests.fixtures.worker import wait_for


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch(
    celery_worker_factory, line_emulator, segment_world, make_residents, make_broadcast, author, approver
):
    recipients = make_residents(1200, area=segment_world.areas[0])  # 3 batches
    b = make_broadcast(everyone=True, to="approved", approver=approver)  # approval enqueues the start task
    # LINE delivers at once but answers 2 s later: the worker is killed while it waits.
    line_emulator.set_faults(delay_rate=1.0, delay_seconds=2.0, limit=1)
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
