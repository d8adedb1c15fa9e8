"""Celery tasks of the LINE layer: thin wrappers that own the retry policy."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from celery import Task, shared_task
from django.db import connections

from . import chat, sender, webhook
from .client import LineRateLimited, LineTemporaryError

logger = logging.getLogger(__name__)

OUTBOUND_MAX_RETRIES = 8


@shared_task(name="line.process_webhook_event", acks_late=True, ignore_result=True)
def process_webhook_event(event_id: int) -> bool:
    return webhook.webhook_event_process(event_id=event_id)


@shared_task(name="line.process_webhook_events", acks_late=True, ignore_result=True)
def process_webhook_events(event_ids: list[int]) -> int:
    """Several stored events (a batch from a web process's publisher, a webhook body, or
    the beat job), processed once and in order in one transaction."""
    return webhook.webhook_events_process(event_ids=event_ids)


def warm_up_chat_worker(sender: Any = None, **_kwargs: Any) -> None:
    """Celery's ``worker_init`` (in the worker's main process, before it forks its pool): a
    worker that takes webhook events loads the chat answerers' indexes now
    (``chat.answerers_warm_up``), so that its pool processes inherit them instead of each
    building its own on its first message. The database connection this used is closed
    before the fork."""
    app = getattr(sender, "app", None) or process_webhook_events.app
    queue = app.amqp.router.route({}, process_webhook_events.name)["queue"].name
    if queue not in app.amqp.queues.consume_from:
        return  # e.g. the photo worker: no chat here
    started = time.monotonic()
    try:
        names = chat.answerers_warm_up()
    finally:
        connections.close_all()
    if names:
        logger.info("chat answerers loaded before the pool starts: %s (%.1f s)", ", ".join(names), time.monotonic() - started)


def _backoff(retries: int) -> float:
    return min(300.0, 2.0**retries) + random.uniform(0, 1)


@shared_task(name="line.send_outbound", bind=True, acks_late=True, ignore_result=True, max_retries=OUTBOUND_MAX_RETRIES)
def send_outbound(self: Task, outbound_id: int) -> None:
    """One push through the shared sender: 429 waits Retry-After (or backs off), 5xx and
    timeouts retry with the same retry key, 409 is sent, other 4xx fail."""
    try:
        sender.outbound_send(outbound_id=outbound_id)
    except (LineRateLimited, LineTemporaryError) as exc:
        if self.request.retries >= OUTBOUND_MAX_RETRIES:
            sender.outbound_give_up(outbound_id=outbound_id, reason=f"gave up after retries: {exc}")
            return
        countdown = exc.retry_after if isinstance(exc, LineRateLimited) and exc.retry_after else _backoff(self.request.retries)
        if self.request.is_eager:
            # Eager mode (tests, no broker): Celery's retry would raise to the caller; try
            # again in place, without the wait.
            self.apply(args=[outbound_id], retries=self.request.retries + 1)
            return
        raise self.retry(countdown=countdown, exc=exc) from None


@shared_task(name="line.requeue_pending", ignore_result=True)
def requeue_pending() -> dict[str, int]:
    """Beat job: events still pending (broker was down, worker crashed) and pushes still
    queued long after they were made go back on the queue; claims and retry keys keep
    this safe."""
    return {"events": webhook.events_requeue(), "pushes": sender.outbound_requeue()}


@shared_task(name="line.purge_blocked_residents", ignore_result=True)
def purge_blocked_residents() -> int:
    """The blocked-residents store alone (the hourly ``portal.purge_personal_data`` runs it
    with every other store); audited like it. Returns how many residents were purged."""
    from portal import retention

    store = next(s for s in retention.stores() if s.key == "line.residents")
    return retention.purge_store(store)["residents"]


@shared_task(name="line.resident_counts_compact", ignore_result=True)
def resident_counts_compact() -> int:
    """Sum the exact resident counts' rows into one per cell (``residents.counts_compact``)."""
    from . import residents

    return residents.counts_compact()
