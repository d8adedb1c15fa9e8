"""The webhook LINE posts to: its signature (checked here, on the raw body), the body's
checks (``inbound.py``: size, nesting, each event's shape), storing each event once before
the 200, and processing it once (claim by lease, effects and ``done`` in one transaction,
replies after the commit).

Nothing here logs or raises with personal data (user IDs, names, message text).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .dispatcher import Prefetched, dispatch_event, replies_send, reply_or_push
from .inbound import WebhookRefused, event_problem, max_body_bytes, max_events, nesting_depth_ok
from .models import Resident, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_LEASE = timedelta(minutes=5)
EVENT_MAX_ATTEMPTS = 5
PENDING_GRACE = timedelta(minutes=1)
WEBHOOK_INSERT_ROWS = 150
EVENTS_PER_TASK = 50  # events processed in one transaction by one task
PUBLISH_LINGER = 0.05  # a web process publishes at most once per this many seconds


# -- what is accepted ---------------------------------------------------------------------------
def signature(body: bytes, channel_secret: str) -> str:
    """Base64 HMAC-SHA256 of the raw body with the channel secret, as LINE signs it."""
    return base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_valid(body: bytes, header: str, channel_secret: str) -> bool:
    """LINE's ``X-Line-Signature``: base64 HMAC-SHA256 of the raw body with the channel
    secret, compared as bytes in constant time (a header with non-ASCII characters is
    simply wrong, never an error)."""
    if not header:
        return False
    expected = signature(body, channel_secret).encode()
    return hmac.compare_digest(expected, header.encode("utf-8", "surrogatepass"))


def parse_callback(*, body: bytes, signature: str, channel_secret: str) -> list[dict]:
    """The events of a signed callback body, each checked; raises ``WebhookRefused``."""
    if len(body) > max_body_bytes():
        raise WebhookRefused(413, "request body too large")
    if not signature_valid(body, signature, channel_secret):
        raise WebhookRefused(400, "invalid signature")
    if not nesting_depth_ok(body):
        raise WebhookRefused(400, "JSON nested too deeply")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRefused(400, "malformed JSON") from None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise WebhookRefused(400, "events must be a list")
    if len(events) > max_events():
        raise WebhookRefused(413, f"too many events (at most {max_events()} per request)")
    for index, event in enumerate(events):
        problem = event_problem(event)
        if problem:
            raise WebhookRefused(400, f"events[{index}]: {problem}")
    return events


# -- store and process ------------------------------------------------------------------------
def webhook_events_store(*, events: list[dict]) -> list[int]:
    """Store ``events`` (deduplicated by ``webhookEventId``) and enqueue the new ones after
    commit; returns their ids. ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` in chunks of
    ``WEBHOOK_INSERT_ROWS`` rows (6 parameters each: far below SQLite's 32,766, and the 999 of
    older builds, whatever the events cap is set to): the
    unique constraint decides between concurrent redeliveries, and only the request that
    inserted an event enqueues it (an event left pending is re-enqueued by the beat job)."""
    rows = []
    seen: set[str] = set()
    for event in events:
        if not isinstance(event, dict):
            continue
        event_id = str(event.get("webhookEventId") or "")[:64]
        if not event_id or event_id in seen:
            continue
        seen.add(event_id)
        rows.append(
            (
                event_id,
                str(event.get("type") or "")[:32],
                event,
                bool((event.get("deliveryContext") or {}).get("isRedelivery")),
            )
        )
    if not rows:
        return []
    table = WebhookEvent._meta.db_table
    payload_field = WebhookEvent._meta.get_field("payload")
    now = timezone.now()
    created: list[int] = []
    chunks = [rows[start : start + WEBHOOK_INSERT_ROWS] for start in range(0, len(rows), WEBHOOK_INSERT_ROWS)]
    # One statement per chunk (one chunk for every body LINE sends): in autocommit a single
    # chunk is its own transaction (one round trip); several commit together. The enqueue
    # below runs once they are durable; inside an outer transaction, after that commits.
    with transaction.atomic() if len(chunks) > 1 else nullcontext(), connection.cursor() as cursor:
        for chunk in chunks:
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, 0, '', %s)"] * len(chunk))
            params: list = []
            for event_id, event_type, payload, redelivery in chunk:
                params += [
                    event_id,
                    event_type,
                    payload_field.get_db_prep_save(payload, connection),
                    redelivery,
                    WebhookEvent.State.PENDING,
                    now,
                ]
            columns = "webhook_event_id, event_type, payload, is_redelivery, state, attempts, error, received_at"
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608 - fixed names
                "ON CONFLICT (webhook_event_id) DO NOTHING RETURNING id"
            )
            cursor.execute(sql, params)
            created += [row[0] for row in cursor.fetchall()]
    if created:
        transaction.on_commit(lambda: _enqueue_events(created))
    return created


def _enqueue_events(ids: list[int]) -> None:
    """After the events' commit. A real broker gets them through this process's publisher
    (one task per batch of events, published off the request thread); eagerly (tests, no
    broker) they are processed here and now, as before."""
    from .tasks import process_webhook_event, process_webhook_events

    if not getattr(process_webhook_events.app.conf, "task_always_eager", False):
        _publisher.add(ids)
        return
    task: Any = process_webhook_event if len(ids) == 1 else process_webhook_events
    args: list[Any] = [ids[0]] if len(ids) == 1 else [ids]
    task.apply_async(args=args)


def _publish(ids: list[int]) -> None:
    from .tasks import process_webhook_events

    try:
        process_webhook_events.apply_async(args=[ids], retry=True, retry_policy={"max_retries": 1, "interval_start": 0})
    except Exception as exc:  # noqa: BLE001 - the broker is down: the beat job re-enqueues them
        logger.warning("%d webhook event(s) stay pending: enqueue failed (%s)", len(ids), type(exc).__name__)


class _Publisher:
    """Publishes the ids of stored events from a background thread of this web process, in
    batches: every request that stored events (already committed: the 200 does not wait
    for the broker) adds its ids, and the thread publishes what has gathered as one
    ``line.process_webhook_events`` task per ``EVENTS_PER_TASK`` ids, at most once per
    ``PUBLISH_LINGER`` seconds (a lone event goes at once; in a burst, what arrives in the
    meantime joins the next batch, and a full batch goes at once).
    A publish per request cost the web process about 40 % of its CPU per webhook (kombu's
    publish path, profiled with py-spy); batched, it is shared by the batch's requests, and
    the worker applies the batch in one transaction. Ids a dying process had not published
    yet stay pending in the database: the beat job (``events_requeue``) enqueues them."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._full = threading.Event()
        self._ids: list[int] = []
        self._thread: threading.Thread | None = None

    def add(self, ids: list[int]) -> None:
        with self._lock:
            self._ids.extend(ids)
            if len(self._ids) >= EVENTS_PER_TASK:
                self._full.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-publisher", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        last = 0.0
        while True:
            self._wake.wait()
            # At most one publish per PUBLISH_LINGER: a lone event goes at once, a burst
            # gathers into batches (a full batch goes at once).
            self._full.wait(max(0.0, last + PUBLISH_LINGER - time.monotonic()))
            self._wake.clear()
            self._full.clear()
            last = time.monotonic()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            ids, self._ids = self._ids, []
        for start in range(0, len(ids), EVENTS_PER_TASK):
            _publish(ids[start : start + EVENTS_PER_TASK])


_publisher = _Publisher()


def webhook_event_claim(*, event_id: int) -> bool:
    """Take the lease on a pending event: exactly one caller wins until the lease expires."""
    now = timezone.now()
    return bool(
        WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.State.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + EVENT_LEASE, attempts=F("attempts") + 1)
    )


def webhook_event_process(*, event_id: int) -> bool:
    """Process one stored event once. Returns False when another worker has it or it is
    already done. The claim, the event's effects and its ``done`` mark commit together
    (one transaction); replies go out after that commit."""
    outgoing: list[tuple[Resident, str, list[dict]]] = []
    try:
        with transaction.atomic():
            # The claim is the transaction's first write: it locks the row (PostgreSQL) or
            # takes SQLite's write lock, so a second worker on the same event waits, then
            # finds it no longer pending. A crash rolls everything back: still pending.
            if not webhook_event_claim(event_id=event_id):
                return False
            payload = WebhookEvent.objects.filter(pk=event_id).values_list("payload", flat=True).get()
            outgoing = dispatch_event(payload)
            # Once processed, only the event id is kept (it recognises LINE's redeliveries):
            # the payload (user ID, message text, location) goes in the same UPDATE.
            WebhookEvent.objects.filter(pk=event_id).update(
                state=WebhookEvent.State.DONE, processed_at=timezone.now(), locked_until=None, error="", payload={}
            )
    except Exception as exc:
        attempts = (WebhookEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first() or 0) + 1
        WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.State.PENDING).update(
            attempts=attempts,
            state=WebhookEvent.State.FAILED if attempts >= EVENT_MAX_ATTEMPTS else WebhookEvent.State.PENDING,
            error=type(exc).__name__[:500],
            # retried by the beat job once this has passed
            locked_until=timezone.now() + timedelta(seconds=30 * attempts),
        )
        logger.exception("webhook event %s failed (%s)", event_id, type(exc).__name__)
        return False
    for resident, reply_token, messages in outgoing:
        reply_or_push(resident=resident, reply_token=reply_token, messages=messages)
    return True


def webhook_events_process(*, event_ids: list[int]) -> int:
    """Process stored events once, several in one transaction; returns how many this call
    processed. Exactly once, as for one event: the claim is the transaction's first write
    (one ``UPDATE`` marks every still-pending event of ``event_ids`` done and empties its
    payload; on PostgreSQL it skips rows another worker holds, so two workers given the
    same ids split them and neither waits), the events' effects follow in id order, and all
    of it commits together; replies go out after the commit. Residents and conversations
    are read set-based for the batch (``dispatcher.Prefetched``). If any event raises,
    the whole batch rolls back (nothing of it happened) and each event is processed on
    its own (``webhook_event_process``: one failure then costs only its own event, with
    its attempts and backoff)."""
    ids = sorted({int(pk) for pk in event_ids})
    if not ids:
        return 0
    outgoing: list[tuple[Resident, str, list[dict]]] = []
    try:
        with transaction.atomic():
            claimed = _claim_batch(ids)
            if claimed:
                prefetched = Prefetched([payload for _pk, payload in claimed])
                for _pk, payload in claimed:
                    outgoing += dispatch_event(payload, prefetched=prefetched)
                prefetched.finish()
    except Exception as exc:  # noqa: BLE001 - rolled back, nothing of it happened: one by one below
        logger.warning("a batch of %d webhook events rolled back (%s): one by one", len(ids), type(exc).__name__)
        return sum(1 for pk in ids if webhook_event_process(event_id=pk))
    replies_send(outgoing)
    return len(claimed)


def _claim_batch(ids: list[int]) -> list[tuple[int, dict]]:
    """Mark the still-pending (and not backing off) events of ``ids`` done, their payload
    emptied, inside the caller's transaction; returns (id, payload as it was) in id order."""
    table = WebhookEvent._meta.db_table
    now = timezone.now()
    pending, done = WebhookEvent.State.PENDING, WebhookEvent.State.DONE
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH picked AS (
                    SELECT id, payload FROM {table}
                    WHERE id = ANY(%s) AND state = %s AND (locked_until IS NULL OR locked_until < %s)
                    ORDER BY id FOR UPDATE SKIP LOCKED
                )
                UPDATE {table} AS e SET state = %s, processed_at = %s, locked_until = NULL, error = '',
                                        payload = '{{}}'::jsonb, attempts = e.attempts + 1
                FROM picked WHERE e.id = picked.id
                RETURNING e.id, picked.payload
                """,  # noqa: S608 - table name from the model, values bound
                [ids, pending, now, done, now],
            )
            rows = cursor.fetchall()
        else:  # SQLite: the UPDATE takes the database's write lock; RETURNING sees the payload before it is emptied
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"UPDATE {table} SET state = %s, processed_at = %s, locked_until = NULL, error = '', attempts = attempts + 1 "  # noqa: S608
                f"WHERE id IN ({marks}) AND state = %s AND (locked_until IS NULL OR locked_until < %s) RETURNING id, payload",
                [done, now, *ids, pending, now],
            )
            rows = cursor.fetchall()
            if rows:
                marks = ", ".join(["%s"] * len(rows))
                cursor.execute(f"UPDATE {table} SET payload = '{{}}' WHERE id IN ({marks})", [pk for pk, _p in rows])  # noqa: S608
    return sorted((pk, json.loads(payload) if isinstance(payload, str | bytes) else payload) for pk, payload in rows)


def events_requeue(*, older_than: timedelta = PENDING_GRACE) -> int:
    """Beat job (with ``sender.outbound_requeue``): re-enqueue events still pending (broker
    was down, a web process died before publishing, a worker crashed), in batches of
    ``EVENTS_PER_TASK``. The claim keeps this safe."""
    from .tasks import process_webhook_events

    now = timezone.now()
    events = list(
        WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING, received_at__lt=now - older_than)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("received_at")
        .values_list("pk", flat=True)[:5000]
    )
    for start in range(0, len(events), EVENTS_PER_TASK):
        process_webhook_events.delay(events[start : start + EVENTS_PER_TASK])
    return len(events)
