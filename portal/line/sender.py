"""The shared sender: every message the portal sends to residents goes through here, with
its retry key stored before the first attempt and a token from the shared rate limit.

Nothing here logs or raises with personal data (user IDs, names, message text).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import client, ratelimit
from .client import LineRateLimited, LineRejected, LineTemporaryError
from .models import OutboundMessage, Resident

logger = logging.getLogger(__name__)

OUTBOUND_GRACE = timedelta(minutes=10)


def push_to_resident(*, resident: Resident, messages: list[dict], purpose: str, dedupe_key: str | None = None) -> OutboundMessage:
    """Save one push (its retry key made now, before any attempt) and send it from Celery
    after commit. A second call with the same ``dedupe_key`` returns the first row."""
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    reachable = resident.is_reachable
    try:
        with transaction.atomic():
            outbound = OutboundMessage.objects.create(
                resident=resident,
                messages=list(messages),
                purpose=purpose[:64],
                dedupe_key=dedupe_key or None,
                status=OutboundMessage.Status.QUEUED if reachable else OutboundMessage.Status.SKIPPED,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return OutboundMessage.objects.get(dedupe_key=dedupe_key)
    if reachable:
        transaction.on_commit(lambda: _enqueue_outbound(outbound.pk))
    return outbound


def _enqueue_outbound(pk: int) -> None:
    from .tasks import send_outbound

    try:
        send_outbound.apply_async(args=[pk], retry=True, retry_policy={"max_retries": 1, "interval_start": 0})
    except Exception as exc:  # noqa: BLE001 - stays queued; requeue_pending picks it up
        logger.warning("outbound %s stays queued: enqueue failed (%s)", pk, type(exc).__name__)
        if getattr(send_outbound.app.conf, "task_always_eager", False):
            raise


def outbound_send(*, outbound_id: int) -> OutboundMessage:
    """One attempt at a queued push, with its saved retry key. Raises ``LineRateLimited`` /
    ``LineTemporaryError`` for the task to retry; a 409 counts as sent; another 4xx marks
    the push failed with LINE's message."""
    outbound = OutboundMessage.objects.select_related("resident").get(pk=outbound_id)
    if outbound.status != OutboundMessage.Status.QUEUED:
        return outbound
    if not outbound.resident.is_reachable:
        outbound.status = OutboundMessage.Status.SKIPPED
        outbound.save(update_fields=["status"])
        return outbound
    if not ratelimit.acquire("push", timeout=5.0):
        raise LineRateLimited("shared push bucket is empty", retry_after=1.0)
    OutboundMessage.objects.filter(pk=outbound.pk).update(attempts=F("attempts") + 1)
    try:
        result = client.push(to=outbound.resident.line_user_id, messages=outbound.messages, retry_key=outbound.retry_key)
    except LineRejected as exc:
        outbound.status = OutboundMessage.Status.FAILED
        outbound.last_error = f"{exc.status}: {exc.message}"[:500]
        outbound.save(update_fields=["status", "last_error"])
        return outbound
    except (LineRateLimited, LineTemporaryError) as exc:
        OutboundMessage.objects.filter(pk=outbound.pk).update(last_error=str(exc)[:500])
        raise
    outbound.status = OutboundMessage.Status.SENT
    outbound.sent_at = timezone.now()
    outbound.line_request_id = (result.accepted_request_id or result.request_id)[:64]
    outbound.last_error = ""
    outbound.save(update_fields=["status", "sent_at", "line_request_id", "last_error"])
    return outbound


def outbound_give_up(*, outbound_id: int, reason: str) -> None:
    OutboundMessage.objects.filter(pk=outbound_id, status=OutboundMessage.Status.QUEUED).update(
        status=OutboundMessage.Status.FAILED, last_error=reason[:500]
    )


def outbound_requeue(*, older_than: timedelta = OUTBOUND_GRACE) -> int:
    """Beat job (with ``webhook.events_requeue``): re-enqueue pushes still queued long
    after they were made. The saved retry key keeps this safe."""
    from .tasks import send_outbound

    pushes = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, created_at__lt=timezone.now() - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:5000]
    )
    for pk in pushes:
        send_outbound.delay(pk)
    return len(pushes)
