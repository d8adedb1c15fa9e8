"""The fan-out of a broadcast: the recipient snapshot, one LINE request per batch of ≤ 500,
retries, recovery from killed workers, and the finish. Every resident of the snapshot gets
the broadcast exactly once. Why:

1. **The retry key is stored with the snapshot.** Each batch row is created with its
   recipients, its language (``Batch.language``: residents who chose a language the
   broadcast is translated into are batched apart, each resident in exactly one batch, and a
   batch sends one frozen variant, ``Broadcast.line_payloads``) and its own ``retry_key`` in
   the same statement, before any attempt, and every
   attempt of that batch — a task retry, a broker redelivery, the stale-work job, an
   approver's 再送 — sends that key.
   (tests/broadcasts/test_fanout.py::test_every_recipient_gets_it_exactly_once,
   ::test_failed_batch_is_retried_by_an_approver_with_the_same_key,
   tests/broadcasts/test_translations.py::test_english_residents_get_english_and_everyone_else_japanese_exactly_once)
2. **The snapshot is frozen once.** ``broadcast_start`` runs under the broadcast's row lock
   and only for a broadcast not yet started; on PostgreSQL it freezes in committed steps
   and a start task killed between steps resumes after the last committed resident.
   (tests/broadcasts/test_snapshot_steps.py::test_start_killed_between_steps_resumes)
3. **A batch is claimed by a lease.** One UPDATE takes an open batch whose lease is free,
   expired or already the caller's (``locked_until``, ``locked_by`` = the task id, like
   ``portal.line.models.WebhookEvent``), and commits: no transaction and no row lock stay
   open during the HTTP call. While the lease runs (``lease_seconds()``: a little longer
   than the send's request timeout) no other task sends the batch; a duplicate task waits for
   the lease to end and then finds the batch sent.
   (tests/broadcasts/test_fanout.py::test_duplicate_task_delivery_sends_once,
   ::test_no_lock_is_held_while_lines_answer_is_awaited)
4. **409 is delivered.** LINE answers 409 to a key it accepted before (a resend after a
   timeout, a lease that ran out mid-request): the batch counts as sent.
   (tests/broadcasts/test_fanout.py::test_delivered_then_timed_out_is_counted_once_via_409)
5. **Retries go back to the queue.** A 429 (honouring ``Retry-After``) or a 5xx/timeout
   leaves the batch open, leased until its retry time, and the task retries itself with
   ``sender.backoff`` (``self.retry(countdown=…)``); the worker thread sends other batches
   meanwhile. ``MAX_ATTEMPTS`` refusals in a row fail the batch (an approver can 再送 it).
   (tests/broadcasts/test_fanout.py::test_exactly_once_under_429_500_and_timeouts,
   tests/broadcasts/test_worker_kill.py::test_429_does_not_block_the_worker)
6. **acks_late + reject on worker loss.** A batch task is acknowledged after it ran, so the
   broker redelivers the task of a killed worker (same task id: it may take its own lease
   at once; LINE answers 409 if the request had gone through).
   (tests/broadcasts/test_worker_kill.py::test_worker_killed_mid_batch)
7. **Stale work is swept in seconds.** ``batches_requeue_stale`` (beat, every
   ``BROADCAST_SWEEP_SECONDS``) re-enqueues every open batch whose lease has expired — a
   killed worker's in-flight batch, or a retry lost with its worker —, every batch never
   claimed although a later one was sent seconds ago (its task was lost with a worker
   before the claim), and, as a fallback, batches and snapshots nobody touched for
   ``BROADCAST_STALE_BATCH_SECONDS``. A duplicate task is harmless (3.).
   (tests/broadcasts/test_worker_kill.py::test_killed_workers_batch_is_resent_after_its_lease,
   tests/broadcasts/test_fanout.py::test_a_batch_whose_task_was_lost_before_its_claim_is_sent,
   tests/broadcasts/test_snapshot_steps.py::test_start_killed_between_steps_resumes)
8. **The finish is decided under the broadcast's lock.** 配信完了 / 一部失敗 is set only when
   the snapshot is complete and no batch is open, checked again under the broadcast's row
   lock (a snapshot step may commit new batches meanwhile).
   (tests/broadcasts/test_snapshot_steps.py::test_start_killed_between_steps_resumes,
   ::test_stepped_snapshot_sends_everyone_once)

Sending goes through ``portal.line.sender`` (the shared token bucket, the retry key, 409);
nothing here talks to ``portal.line.client`` or ``ratelimit``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from portal.line import sender

from . import audit as actions
from . import privacy, results, selectors
from .models import BATCH_SIZE, MIN_RECIPIENTS, Batch, Broadcast, Bubble
from .recipients import recipient_hashes

S = Broadcast.Status
B = Batch.Status
_OPEN = (B.PENDING, B.SENDING)

MAX_ATTEMPTS = 8
# How long a batch may wait for its token from the shared bucket before its task goes back
# to the queue instead (the bucket's turns are first come, first served).
TOKEN_WAIT = 1.0
# The lease covers the send request's timeout plus this (the token wait, the database).
LEASE_MARGIN = 2.0
# A batch waiting for its retry stays leased this much past its retry time: its own retry
# takes it back at once (same task id), the stale-work job only once this has passed too.
RETRY_GRACE = 2.0
# A batch nobody claimed this long after a later batch of its broadcast was sent is taken
# for lost with a killed worker's prefetched tasks (``_lost_before_claim``).
LOST_AFTER = 3.0

# PostgreSQL freezes the recipients in steps of this many residents (multiples of 500):
# batches are sent as soon as the first step commits, while the next ones are taken.
SNAPSHOT_FIRST_STEP = 10_000
SNAPSHOT_STEP = 100_000


def send_timeout() -> float:
    """The request timeout of a batch's send: ``BROADCAST_SEND_TIMEOUT`` (default 5 s; LINE
    answers a multicast in well under a second), never more than ``LINE_REQUEST_TIMEOUT``.
    A request that timed out is sent again with its key: LINE answers 409 if it had it."""
    configured = float(getattr(settings, "BROADCAST_SEND_TIMEOUT", 0) or 0)
    default = float(settings.LINE_REQUEST_TIMEOUT)
    return min(configured, default) if configured > 0 else default


def lease_seconds() -> float:
    """How long a claim keeps a batch: a little longer than its send can take
    (``send_timeout() + LEASE_MARGIN``: 7 s by default). A killed worker's batch is sent
    again once this has passed (and the stale-work job has run: every
    ``BROADCAST_SWEEP_SECONDS``)."""
    return send_timeout() + LEASE_MARGIN


def translated_languages(*, broadcast: Broadcast) -> list[str]:
    """The languages some text bubble of ``broadcast`` is translated into (none for an
    emergency broadcast: its one broadcast-endpoint message to all friends is Japanese only)."""
    if broadcast.is_emergency:
        return []
    found = {code for bubble in broadcast.bubbles.all() for code, text in (bubble.translations or {}).items() if text}
    return sorted(found)


def line_messages(*, broadcast: Broadcast, language: str = "") -> list[dict[str, Any]]:
    """The bubbles in the Messaging API's JSON shape; image URLs absolute on PORTAL_BASE_URL.
    ``language``: each text bubble's translation into it where it has one, else its Japanese."""
    from django.urls import reverse

    base = settings.PORTAL_BASE_URL.rstrip("/")
    messages: list[dict[str, Any]] = []
    for bubble in broadcast.bubbles.select_related("image"):
        if bubble.type == Bubble.Type.IMAGE and bubble.image:
            token = bubble.image.token
            messages.append(
                {
                    "type": "image",
                    "originalContentUrl": base + reverse("broadcasts:media", args=[token, "original"]),
                    "previewImageUrl": base + reverse("broadcasts:media", args=[token, "preview"]),
                }
            )
        elif bubble.text:
            text = (bubble.translations or {}).get(language) if language else None
            messages.append({"type": "text", "text": text or bubble.text})
    return messages


def _audit(action: str, *, broadcast: Broadcast, **detail: Any) -> None:
    audit_record(action=action, actor=None, target=broadcast, detail=detail)


# -- start -------------------------------------------------------------------------------


def start_due_scheduled(*, now: datetime | None = None) -> int:
    """Beat job: start every 予約済 broadcast whose time has come."""
    from .tasks import start_broadcast

    now = now or timezone.now()
    due = list(Broadcast.objects.filter(status=S.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True))
    for pk in due:
        start_broadcast.delay(pk)
    return len(due)


class _SnapshotTooSmall(Exception):
    pass


def _needs_minimum(broadcast: Broadcast) -> bool:
    """Every audience that is not exactly 友だち全員 (an exclusion counts as a filter)."""
    return broadcast.is_segment or broadcast.exclude_broadcast_id is not None


def broadcast_start(*, broadcast_id: int, queue: str | None = None) -> Broadcast | None:
    """Freeze the recipients into batches of ≤ 500 and enqueue one task per batch.
    Idempotent: only an 承認済/予約済 broadcast starts (a second call does nothing, a call
    after a killed start resumes its snapshot). ``queue``: where the batch tasks go (the
    start task passes the queue it came from).

    On PostgreSQL the snapshot is taken in steps (``SNAPSHOT_FIRST_STEP``, then
    ``SNAPSHOT_STEP`` residents in id order), each committed and enqueued at once, so
    sending overlaps the rest of the snapshot; ``started_at`` is set when it is complete
    (the broadcast cannot finish before). A segment that fits in the first step is checked
    against the 50 minimum before anything is sent; a larger one has more than 50."""
    stepped = connection.vendor == "postgresql"
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().filter(pk=broadcast_id).first()
        if broadcast is None:
            return None
        startable = broadcast.status in {S.APPROVED, S.SCHEDULED} or (
            broadcast.status == S.SENDING and broadcast.started_at is None
        )
        if not startable:
            return broadcast
        complete = True
        if broadcast.is_emergency:
            Batch.objects.create(broadcast=broadcast, number=0, endpoint="broadcast", size=0)
            total = 0
        elif stepped and broadcast.snapshot_position is not None:
            complete = False  # a killed start task took the first steps: go on below
        else:
            try:
                with transaction.atomic():
                    if stepped:
                        total, complete, _first = _snapshot_step(broadcast, SNAPSHOT_FIRST_STEP)
                    else:
                        total = _snapshot(broadcast)
                    if complete and _needs_minimum(broadcast) and total < MIN_RECIPIENTS:
                        raise _SnapshotTooSmall
            except _SnapshotTooSmall:
                broadcast.status = S.CANCELLED
                broadcast.halt_reason = Broadcast.HaltReason.BELOW_MINIMUM
                broadcast.finished_at = timezone.now()
                broadcast.save(update_fields=["status", "halt_reason", "finished_at", "updated_at"])
                _audit(actions.HALTED, broadcast=broadcast, reason="below_minimum")
                return broadcast
        broadcast.status = S.SENDING
        broadcast.line_payload = line_messages(broadcast=broadcast)
        languages = translated_languages(broadcast=broadcast)
        broadcast.line_payloads = {c: line_messages(broadcast=broadcast, language=c) for c in languages}
        pk = broadcast.pk
        if not complete:
            broadcast.save(
                update_fields=["status", "line_payload", "line_payloads", "snapshot_position", "recipients_total", "updated_at"]
            )
            transaction.on_commit(lambda: batches_enqueue(broadcast_id=pk, queue=queue))
        else:
            broadcast.recipients_total = total
            broadcast.recipients_noisy = privacy.sent_noisy_total(segment=selectors.Segment.of(broadcast), exact=total)
            broadcast.started_at = timezone.now()
            broadcast.save(
                update_fields=[
                    "status",
                    "recipients_total",
                    "recipients_noisy",
                    "snapshot_position",
                    "started_at",
                    "line_payload",
                    "line_payloads",
                    "updated_at",
                ]
            )
            _audit(actions.STARTED, broadcast=broadcast)
            if total == 0 and not broadcast.is_emergency:
                _finish(broadcast)
                return broadcast
            transaction.on_commit(lambda: batches_enqueue(broadcast_id=pk, queue=queue))
    if complete:
        return broadcast
    while not complete:
        with transaction.atomic():
            broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
            if broadcast.status != S.SENDING or broadcast.started_at is not None:
                return broadcast  # another start task completed it
            _count, complete, first_number = _snapshot_step(broadcast, SNAPSHOT_STEP)
            fields = ["snapshot_position", "recipients_total", "updated_at"]
            if complete:
                broadcast.started_at = timezone.now()
                broadcast.recipients_noisy = privacy.sent_noisy_total(
                    segment=selectors.Segment.of(broadcast), exact=broadcast.recipients_total
                )
                fields += ["started_at", "recipients_noisy"]
            broadcast.save(update_fields=fields)
            if complete:
                _audit(actions.STARTED, broadcast=broadcast)
            transaction.on_commit(partial(batches_enqueue, broadcast_id=broadcast_id, queue=queue, since=first_number))
    broadcast_finish_if_complete(broadcast_id=broadcast_id)  # its batches may all be sent already
    return broadcast


def _snapshot(broadcast: Broadcast) -> int:
    """Freeze the segment's recipients into batches of ≤ 500 (in resident order), streamed
    through Python in chunks (the other databases); returns how many recipients. A resident
    whose chosen language the broadcast is translated into goes into a batch of that
    language, everyone else into the Japanese batches ("")."""
    segment = selectors.Segment.of(broadcast)
    languages = set(translated_languages(broadcast=broadcast))
    total = 0
    number = 0
    pending: list[Batch] = []
    chunks: dict[str, list[str]] = {}

    def flush_chunk(language: str) -> None:
        nonlocal number
        chunk = chunks.pop(language)
        pending.append(Batch(broadcast=broadcast, number=number, line_user_ids=chunk, size=len(chunk), language=language))
        number += 1

    residents = selectors.segment_residents(segment=segment).order_by("pk")
    rows = residents.values_list("line_user_id", "language").iterator(chunk_size=5000)
    for line_user_id, chosen in rows:
        language = chosen if chosen in languages else ""
        chunk = chunks.setdefault(language, [])
        chunk.append(line_user_id)
        total += 1
        if len(chunk) == BATCH_SIZE:
            flush_chunk(language)
            if len(pending) >= 20:
                Batch.objects.bulk_create(pending)
                pending.clear()
    for language in sorted(chunks):
        flush_chunk(language)
    if pending:
        Batch.objects.bulk_create(pending)
    return total


def _snapshot_step(broadcast: Broadcast, limit: int) -> tuple[int, bool, int]:
    """PostgreSQL: freeze the next ``limit`` recipients (ids after ``snapshot_position``)
    into batches numbered after the existing ones. Updates ``snapshot_position`` and
    ``recipients_total`` on ``broadcast`` (the caller saves). Returns (recipients in this
    step, whether the snapshot is complete, this step's first batch number).

    Written as SQL, not the ORM, on purpose: one ``INSERT … SELECT`` groups the segment's
    residents (the ORM's own query, with bound parameters) into numbered batches with
    ``jsonb_agg`` and a fresh ``gen_random_uuid()`` retry key each, inside PostgreSQL, so no
    LINE user id leaves the database. The ORM has no INSERT … SELECT: it would stream every
    step's 100,000 ids through Python and back (``bulk_create``, as ``_snapshot`` does on the
    other databases), and the steps must keep ahead of sending at LINE's rate."""
    residents = selectors.segment_residents(segment=selectors.Segment.of(broadcast))
    if broadcast.snapshot_position is not None:
        residents = residents.filter(pk__gt=broadcast.snapshot_position)
    picked = residents.order_by("pk").values("id", "line_user_id", "language")[:limit]
    languages = translated_languages(broadcast=broadcast)
    sql, params = picked.query.get_compiler(connection=connection).as_sql()
    table = Batch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(max(number) + 1, 0) FROM {table} WHERE broadcast_id = %s",  # noqa: S608
            [broadcast.pk],
        )
        first_number = int(cursor.fetchone()[0])
        cursor.execute(
            f"""
            WITH picked AS ({sql}), tagged AS (
                SELECT line_user_id, id, CASE WHEN language = ANY(%s::text[]) THEN language ELSE '' END AS lang FROM picked
            ), chunked AS (
                SELECT line_user_id, id, lang, (row_number() OVER (PARTITION BY lang ORDER BY id) - 1) / %s AS chunk
                FROM tagged
            ), numbered AS (
                SELECT line_user_id, id, lang, %s + dense_rank() OVER (ORDER BY lang, chunk) - 1 AS number FROM chunked
            ), made AS (
                INSERT INTO {table} (broadcast_id, number, retry_key, endpoint, line_user_ids, size, status, attempts,
                                     error, line_request_id, locked_by, updated_at, language)
                SELECT %s, number, gen_random_uuid(), 'multicast', jsonb_agg(line_user_id ORDER BY id), count(*),
                       %s, 0, '', '', '', now(), min(lang)
                FROM numbered GROUP BY number
                RETURNING size
            )
            SELECT (SELECT coalesce(sum(size), 0) FROM made), (SELECT max(id) FROM picked)
            """,  # noqa: S608 - table name from the model, the segment's SQL from the ORM with bound parameters
            [*params, languages, BATCH_SIZE, first_number, broadcast.pk, B.PENDING],
        )
        count, last_id = cursor.fetchone()
    count = int(count)
    if last_id is not None:
        broadcast.snapshot_position = int(last_id)
    elif broadcast.snapshot_position is None:
        broadcast.snapshot_position = 0
    broadcast.recipients_total += count
    return count, count < limit, first_number


def batches_enqueue(*, broadcast_id: int, queue: str | None = None, since: int = 0) -> None:
    """One send task per open batch of the broadcast numbered ``since`` or later."""
    from .tasks import send_batch

    options = {"queue": queue} if queue else {}
    rows = Batch.objects.filter(broadcast_id=broadcast_id, status=B.PENDING, number__gte=since).order_by("number")
    for batch_id, endpoint in rows.values_list("pk", "endpoint").iterator(chunk_size=2000):
        send_batch.apply_async((batch_id, endpoint), **options)


# -- one batch -------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """What one attempt at a batch came to. ``retry_in``: seconds after which the task
    should run again (with ``attempt``), or None when there is nothing left for it to do."""

    status: str  # a Batch.Status after the attempt, "skipped" (finished or not ours), "held"
    retry_in: float | None = None
    attempt: int = 0


def _claimable(owner: str, now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=owner)


def _claim(batch_id: int, owner: str, now: datetime) -> bool:
    """Lease an open batch to ``owner`` (committed at once)."""
    return bool(
        Batch.objects.filter(_claimable(owner, now), pk=batch_id, status__in=_OPEN).update(
            status=B.SENDING,
            locked_until=now + timedelta(seconds=lease_seconds()),
            locked_by=owner,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )


def _not_claimed(batch_id: int, now: datetime, attempt: int) -> BatchResult:
    """A batch we could not lease: finished (or its broadcast is not sending), or leased
    by another task: then come back when that lease ends."""
    held = (
        Batch.objects.filter(pk=batch_id, status__in=_OPEN, broadcast__status=S.SENDING, locked_until__gte=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    if held is None:
        return BatchResult("skipped")
    return BatchResult("held", retry_in=max(0.0, (held - now).total_seconds()) + 0.5, attempt=attempt)


def _save_attempt(batch_id: int, owner: str, **values: Any) -> None:
    """The outcome of our attempt, unless another task has taken the batch since (our
    lease ran out): a delivery is saved whoever holds the batch."""
    rows = Batch.objects.filter(pk=batch_id, status__in=_OPEN)
    if values.get("status") != B.DONE:
        rows = rows.filter(locked_by=owner)
    rows.update(updated_at=timezone.now(), **values)


def batch_send(*, batch_id: int, owner: str = "", attempt: int = 0) -> BatchResult:
    """One attempt at one batch with its saved retry key (``owner``: the task id, so the
    task's own retry or redelivery may take the lease back; ``attempt``: how many attempts
    of this task came before). Claims the batch by lease, sends through
    ``portal.line.sender`` with no transaction open, and saves the outcome: 送信済 (a 409
    included; the recipient list replaced by keyed hashes, recipients.py), 失敗 (LINE refused
    it, or ``MAX_ATTEMPTS`` retryable failures), or still open and leased until its retry,
    which the caller schedules after ``retry_in`` seconds."""
    owner = owner or uuid.uuid4().hex
    now = timezone.now()
    if not _claim(batch_id, owner, now):
        return _not_claimed(batch_id, now, attempt)
    # Still ours: had our lease run out and another task sent it meanwhile, its list would be
    # hashed already (a resend of that task's request would be a 409 anyway).
    row = (
        Batch.objects.filter(pk=batch_id, locked_by=owner, status__in=_OPEN)
        .values_list(
            "retry_key", "endpoint", "line_user_ids", "broadcast_id", "broadcast__status", "broadcast__line_payload",
            "language", "broadcast__line_payloads",
        )
        .first()
    )  # fmt: skip
    if row is None:
        return BatchResult("skipped")
    retry_key, endpoint, line_user_ids, broadcast_id, broadcast_status, payload, language, payloads = row
    if language:  # the batch's recipients chose this language: its frozen variant
        payload = (payloads or {}).get(language)
    if broadcast_status != S.SENDING:
        _save_attempt(batch_id, owner, locked_until=None)
        return BatchResult("skipped")
    messages = payload or line_messages(broadcast=Broadcast.objects.get(pk=broadcast_id), language=language)
    timeout = send_timeout()
    if endpoint == "broadcast":
        outcome = sender.broadcast(messages=messages, retry_key=retry_key, max_wait=TOKEN_WAIT, timeout=timeout)
    else:
        outcome = sender.multicast(
            to=line_user_ids,
            messages=messages,
            retry_key=retry_key,
            max_wait=TOKEN_WAIT,
            timeout=timeout,
            aggregation_unit=results.unit_name(broadcast_id),
        )
    result = _record(batch_id, owner, attempt, outcome, recipients=line_user_ids if endpoint != "broadcast" else None)
    if result.retry_in is None:
        broadcast_finish_if_complete(broadcast_id=broadcast_id)
    return result


def _record(batch_id: int, owner: str, attempt: int, outcome: sender.Outcome, *, recipients: list[str] | None) -> BatchResult:
    if outcome.delivered:
        values: dict[str, Any] = {"status": B.DONE, "error": "", "line_request_id": outcome.request_id}
        values.update(sent_at=timezone.now(), locked_until=None)
        if recipients:
            values["line_user_ids"] = recipient_hashes(recipients)
        _save_attempt(batch_id, owner, **values)
        return BatchResult(B.DONE)
    if outcome.rejected or attempt + 1 >= MAX_ATTEMPTS:
        error = outcome.error if outcome.rejected else _("再試行の上限に達しました: %(error)s") % {"error": outcome.error}
        _save_attempt(batch_id, owner, status=B.FAILED, error=error[:500], locked_until=None)
        return BatchResult(B.FAILED)
    delay = sender.backoff(attempt, retry_after=outcome.retry_after)
    until = timezone.now() + timedelta(seconds=delay + RETRY_GRACE)
    _save_attempt(batch_id, owner, status=B.SENDING, error=outcome.error[:500], locked_until=until)
    return BatchResult(B.SENDING, retry_in=delay, attempt=attempt + 1)


# -- stale work and the finish -----------------------------------------------------------


def batches_requeue_stale(*, older_than: float | None = None) -> int:
    """Beat job (every ``BROADCAST_SWEEP_SECONDS``): re-enqueue the open batches of 配信中
    broadcasts whose lease has expired (their worker was killed mid-send, or a retry was
    lost with its worker), and, as a fallback, open batches nobody touched for
    ``older_than`` seconds (default ``BROADCAST_STALE_BATCH_SECONDS``: a task lost before it
    ever claimed its batch) and snapshots stalled as long (their start task was lost).
    A duplicate task is harmless: the lease lets one send at a time, and the retry key makes
    LINE answer 409 to a resend."""
    from .tasks import send_batch, start_broadcast

    seconds = older_than if older_than is not None else float(getattr(settings, "BROADCAST_STALE_BATCH_SECONDS", 120))
    now = timezone.now()
    cutoff = now - timedelta(seconds=seconds)
    stale = Batch.objects.filter(broadcast__status=S.SENDING, status__in=_OPEN).filter(
        Q(locked_until__lt=now) | Q(updated_at__lte=cutoff) | Q(updated_at__isnull=True) | _lost_before_claim(now)
    )
    count = 0
    for batch_id, endpoint in stale.values_list("pk", "endpoint").iterator(chunk_size=2000):
        send_batch.delay(batch_id, endpoint)
        count += 1
    # A snapshot nobody has advanced for as long: its start task was lost with its worker.
    # Starting again resumes after the last committed step (under the broadcast's row lock).
    stalled = Broadcast.objects.filter(status=S.SENDING, started_at__isnull=True, updated_at__lte=cutoff)
    for broadcast_id in stalled.values_list("pk", flat=True):
        start_broadcast.delay(broadcast_id)
        count += 1
    return count


def _lost_before_claim(now: datetime) -> Q:
    """Batches never claimed although a later batch of the same broadcast was sent
    ``LOST_AFTER`` seconds ago. Batch tasks are enqueued in number order and the queue hands
    them out first in, first out, so such a batch's task went to a worker that died before it
    claimed it (a worker takes a few tasks ahead of its free threads) — or to a live worker
    whose threads are all waiting for LINE: then the copy is skipped by the lease (3.)."""
    cutoff = now - timedelta(seconds=LOST_AFTER)
    sent = (
        Batch.objects.filter(broadcast__status=S.SENDING, sent_at__lte=cutoff)
        .values("broadcast_id")
        .annotate(last=Max("number"))
        .order_by()
    )
    later_sent = Q(pk__in=[])
    for row in sent:
        later_sent |= Q(broadcast_id=row["broadcast_id"], number__lt=row["last"])
    return later_sent & Q(status=B.PENDING, attempts=0)


def _has_open_batches(broadcast_id: int) -> bool:
    return Batch.objects.filter(broadcast_id=broadcast_id, status__in=_OPEN).exists()


def broadcast_finish_if_complete(*, broadcast_id: int) -> Broadcast | None:
    """配信完了 / 一部失敗 once no batch is left to send (checked after each batch)."""
    if _has_open_batches(broadcast_id):
        return None
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status != S.SENDING or broadcast.started_at is None:
            return broadcast  # not sending, or its snapshot is still being taken
        # Again under the lock: a snapshot step may have committed new batches meanwhile.
        if _has_open_batches(broadcast_id):
            return None
        _finish(broadcast)
    return broadcast


def _finish(broadcast: Broadcast) -> None:
    failed = Batch.objects.filter(broadcast=broadcast, status=B.FAILED).exists()
    broadcast.status = S.PARTIAL if failed else S.DONE
    broadcast.finished_at = timezone.now()
    broadcast.save(update_fields=["status", "finished_at", "updated_at"])
    _audit(actions.PARTIAL if failed else actions.COMPLETED, broadcast=broadcast)
