"""PostgreSQL takes the recipient snapshot in steps, sending while it goes on: still every
recipient exactly once, the broadcast cannot finish before the snapshot is complete, and a
start task killed between steps is resumed without freezing anyone twice."""

import pytest
from django.db import connection

from broadcasts import fanout
from broadcasts.models import Batch, Broadcast
from tests.fixtures.broadcasts import assert_exactly_once

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="stepped snapshot is PostgreSQL's"),
]


@pytest.fixture
def crowd(make_crowd):
    """1,130 recipients in area 0 (3 batches), plus people who must not receive it."""
    return make_crowd(1130, outside=30, opted_out=10, blocked=10)


@pytest.fixture
def small_steps(monkeypatch):
    monkeypatch.setattr(fanout, "SNAPSHOT_FIRST_STEP", 500)
    monkeypatch.setattr(fanout, "SNAPSHOT_STEP", 500)


def test_stepped_snapshot_sends_everyone_once(author, approver, crowd, line_emulator, small_steps, send_broadcast):
    recipients, others, area = crowd
    b = send_broadcast(areas=[area])  # approval starts it
    assert b.status == Broadcast.Status.DONE
    assert b.recipients_total == 1130
    assert list(b.batches.order_by("number").values_list("size", flat=True)) == [500, 500, 130]
    assert_exactly_once(line_emulator, recipients, others)


def test_start_killed_between_steps_resumes(
    author, approver, make_broadcast, crowd, line_emulator, run_on_commit, small_steps, monkeypatch
):
    recipients, others, area = crowd
    b = make_broadcast(areas=[area], to="approved", approver=approver)
    real_step = fanout._snapshot_step
    calls = []

    def dies_on_second_step(broadcast, limit):
        calls.append(limit)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_step(broadcast, limit)

    monkeypatch.setattr(fanout, "_snapshot_step", dies_on_second_step)
    with run_on_commit(), pytest.raises(RuntimeError):
        fanout.broadcast_start(broadcast_id=b.pk)
    b.refresh_from_db()
    # The first step was committed and sent; with no batch left open the broadcast is
    # still not finished: its snapshot is incomplete.
    assert b.status == Broadcast.Status.SENDING and b.started_at is None
    assert list(b.batches.values_list("size", "status")) == [(500, Batch.Status.DONE)]
    fanout.broadcast_finish_if_complete(broadcast_id=b.pk)
    assert Broadcast.objects.get(pk=b.pk).status == Broadcast.Status.SENDING

    monkeypatch.setattr(fanout, "_snapshot_step", real_step)
    with run_on_commit():  # the stale-work job starts the stalled snapshot again: it resumes
        assert fanout.batches_requeue_stale(older_than=0) >= 1
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert b.recipients_total == 1130
    assert list(b.batches.order_by("number").values_list("size", flat=True)) == [500, 500, 130]
    assert_exactly_once(line_emulator, recipients, others)
