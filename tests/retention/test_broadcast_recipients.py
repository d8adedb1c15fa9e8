"""A sent batch keeps keyed hashes of its recipients, never their LINE user IDs, and
「過去の配信の受信者を除外」 still excludes exactly the earlier recipients."""

import json
import re
from datetime import timedelta

import time_machine
from django.db import connection
from django.utils import timezone

from broadcasts import fanout, services
from broadcasts.models import Batch, Broadcast
from portal.tasks import purge_personal_data

LINE_ID = re.compile(r"U[0-9a-f]{32}")


def _stored_lists(broadcast) -> str:
    """The batches' recipient lists exactly as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT line_user_ids FROM {Batch._meta.db_table} WHERE broadcast_id = %s", [broadcast.pk])  # noqa: S608
        return json.dumps([row[0] for row in cursor.fetchall()])


def test_sent_batches_keep_no_line_id_and_exclusion_still_works(
    author, approver, segment_world, make_residents, line_emulator, settings, send_broadcast
):
    settings.BROADCAST_RECIPIENT_HASH_KEY = "a-test-only-recipient-key"
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    first_ids = make_residents(60, area=a0)
    later_ids = make_residents(55, area=a1)
    first = send_broadcast(areas=[a0], text="第1回")  # approval sends it (承認後すぐに配信)
    assert first.status == Broadcast.Status.DONE
    stored = _stored_lists(first)
    assert not LINE_ID.search(stored) and not any(uid in stored for uid in first_ids)
    assert sum(b.size for b in first.batches.all()) == 60
    assert all(len(b.line_user_ids) == b.size and all(h.startswith("h:") for h in b.line_user_ids) for b in first.batches.all())

    second = send_broadcast(areas=[a0, a1], exclude=first, text="第2回")
    assert second.recipients_total == 55
    assert all(line_emulator.received_texts(u) == ["第1回"] for u in first_ids)
    assert all(line_emulator.received_texts(u) == ["第2回"] for u in later_ids)
    assert not LINE_ID.search(_stored_lists(second))


def test_the_hash_is_keyed(author, approver, segment_world, make_residents, line_emulator, settings, send_broadcast):
    """Hashes made with another key do not match: the key is what links a hash to a resident."""
    a0 = segment_world.areas[0]
    make_residents(60, area=a0)
    settings.BROADCAST_RECIPIENT_HASH_KEY = "key-one"
    first = send_broadcast(areas=[a0], text="第1回")  # approval sends it (承認後すぐに配信)
    settings.BROADCAST_RECIPIENT_HASH_KEY = "key-two"
    from broadcasts import selectors

    assert (
        selectors.segment_reach(segment=selectors.Segment.build(everyone=False, area_ids=[a0.pk], exclude_broadcast_id=first.pk))
        == 60
    )
    settings.BROADCAST_RECIPIENT_HASH_KEY = "key-one"
    assert (
        selectors.segment_reach(segment=selectors.Segment.build(everyone=False, area_ids=[a0.pk], exclude_broadcast_id=first.pk))
        == 0
    )


def test_unsent_batches_of_an_ended_broadcast_are_hashed_after_the_period(
    author, approver, make_broadcast, segment_world, make_residents, line_emulator, run_on_commit, settings
):
    settings.RETENTION_BROADCAST_UNSENT_DAYS = 30
    a0 = segment_world.areas[0]
    ids = make_residents(60, area=a0)
    b = make_broadcast(areas=[a0], to="approved", approver=approver)  # sending requested; on-commit not run
    fanout.broadcast_start(broadcast_id=b.pk)  # snapshot taken; then LINE refused the batch:
    Batch.objects.filter(broadcast=b).update(status=Batch.Status.FAILED, error="400: rejected")
    fanout.broadcast_finish_if_complete(broadcast_id=b.pk)
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PARTIAL
    assert all(uid in _stored_lists(b) for uid in ids)
    with time_machine.travel(timezone.now() + timedelta(days=29), tick=False):
        purge_personal_data.apply()
    assert any(uid in _stored_lists(b) for uid in ids)  # still resendable within the period
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1), tick=False):
        result = purge_personal_data.apply().get()
    assert result["broadcasts.recipients"]["unsent_hashed"] == 1
    assert not LINE_ID.search(_stored_lists(b))
    # a failed batch whose list is hashed is not sent again
    with run_on_commit():
        assert services.broadcast_retry_failed(broadcast=b, actor=approver) == 0
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):  # idempotent
        assert purge_personal_data.apply().get()["broadcasts.recipients"] == {"sent_hashed": 0, "unsent_hashed": 0}
