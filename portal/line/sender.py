"""The shared sender: every message the portal sends through LINE goes through here, with
its retry key stored before the first attempt and a token from the shared rate limit.

**Send once** (``multicast``, ``broadcast``, ``push``): "send this multicast batch / this
broadcast / this push once". Features call these instead of ``client`` and ``ratelimit``.
Each call

- takes one token from the shared bucket of its endpoint (``ratelimit``: Redis or the
  database, shared by every worker: the single limiter of the channel's rate), waiting for
  its turn only up to ``max_wait`` seconds, else it sends nothing and answers "retry";
- sends with the caller's retry key (``X-Line-Retry-Key``, saved by the caller before the
  first attempt), so a resend of a request LINE had accepted is answered 409, which is
  reported as delivered (``duplicate=True``);
- never sleeps for a retry: a 429 (with LINE's ``Retry-After`` when given), a 5xx, a timeout
  or a refused connection comes back as a retryable ``Outcome`` for the caller's task to schedule
  (``self.retry(countdown=backoff(...))``); another 4xx is ``Outcome.rejected`` with LINE's
  message, which no retry will change.

**Pushes to residents** (``push_to_resident``, ``outbound_send``): a push saved as an
``OutboundMessage`` (its retry key made with the row) and sent from Celery after commit.

An outcome's ``error`` carries the HTTP status and LINE's message only, never recipients;
nothing here logs or raises with personal data (user IDs, names, message text).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import client, ratelimit
from .client import LineRateLimited, LineRejected, LineTemporaryError
from .models import OutboundMessage, Resident

logger = logging.getLogger(__name__)

OUTBOUND_GRACE = timedelta(minutes=10)

# How long a send may wait for its token before it answers "retry" instead (the shared
# bucket hands out turns first come, first served; a long wait means a backlog elsewhere).
MAX_TOKEN_WAIT = 2.0
# Upper bound of any retry delay, Retry-After included.
MAX_RETRY_DELAY = 30.0


class Status(StrEnum):
    DELIVERED = "delivered"  # LINE accepted it now, or had accepted this retry key (409)
    RETRY = "retry"  # nothing known to be sent: try again later with the same retry key
    REJECTED = "rejected"  # LINE refused it (a 4xx other than 409/429): do not retry


@dataclass(frozen=True)
class Outcome:
    status: Status
    request_id: str = ""  # LINE's x-line-request-id (of the accepting request for a 409)
    duplicate: bool = False  # 409: this retry key had been accepted before
    error: str = ""  # status and LINE's message; never recipients
    retry_after: float | None = None  # seconds LINE (or the shared bucket) asked us to wait

    @property
    def delivered(self) -> bool:
        return self.status == Status.DELIVERED

    @property
    def retryable(self) -> bool:
        return self.status == Status.RETRY

    @property
    def rejected(self) -> bool:
        return self.status == Status.REJECTED


def backoff(attempt: int, *, retry_after: float | None = None) -> float:
    """Seconds to wait before retrying after failed attempt number ``attempt`` (0 = the
    first): LINE's ``Retry-After`` when it gave one, else 0.2 s doubling per attempt up to
    5 s, with jitter so that batches refused together do not come back together. Never more
    than ``MAX_RETRY_DELAY``. The one backoff of every LINE send."""
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), MAX_RETRY_DELAY)
    delay = min(0.2 * 2.0 ** max(0, attempt), 5.0)
    return min(delay * random.uniform(0.75, 1.25), MAX_RETRY_DELAY)


def _send(bucket: str, call: Callable[[], client.SendResult], max_wait: float) -> Outcome:
    granted, wait = ratelimit.reserve(bucket, max_wait=max_wait)
    if not granted:
        return Outcome(Status.RETRY, error="shared rate limit", retry_after=wait)
    if wait > 0:
        time.sleep(wait)  # our turn in the shared bucket: pacing, not a retry
    try:
        result = call()
    except client.LineRateLimited as exc:
        return Outcome(Status.RETRY, error="429", retry_after=exc.retry_after)
    except client.LineTemporaryError as exc:
        return Outcome(Status.RETRY, error=str(exc)[:500])
    except client.LineRejected as exc:
        return Outcome(Status.REJECTED, error=f"{exc.status}: {exc.message}"[:500])
    return Outcome(
        Status.DELIVERED,
        request_id=(result.accepted_request_id or result.request_id or "")[:64],
        duplicate=result.duplicate,
    )


def multicast(
    *,
    to: Sequence[str],
    messages: list[dict[str, Any]],
    retry_key: str | UUID,
    max_wait: float = MAX_TOKEN_WAIT,
    timeout: float | None = None,
    aggregation_unit: str | None = None,
) -> Outcome:
    """Send ``messages`` to 1–500 users once (one multicast request; ``timeout``: a shorter
    request timeout than ``LINE_REQUEST_TIMEOUT``; ``aggregation_unit``: the
    ``customAggregationUnits`` name LINE counts this batch's opens and clicks under)."""

    def call() -> client.SendResult:
        return client.multicast(
            to=list(to), messages=messages, retry_key=retry_key, timeout=timeout, aggregation_unit=aggregation_unit
        )

    return _send("multicast", call, max_wait)


def broadcast(
    *, messages: list[dict[str, Any]], retry_key: str | UUID, max_wait: float = MAX_TOKEN_WAIT, timeout: float | None = None
) -> Outcome:
    """Send ``messages`` to every friend of the account once (the broadcast endpoint)."""
    return _send("broadcast", lambda: client.broadcast(messages=messages, retry_key=retry_key, timeout=timeout), max_wait)


def push(*, to: str, messages: list[dict[str, Any]], retry_key: str | UUID, max_wait: float = MAX_TOKEN_WAIT) -> Outcome:
    """Push ``messages`` to one user once."""
    return _send("push", lambda: client.push(to=to, messages=messages, retry_key=retry_key), max_wait)


# -- replies ------------------------------------------------------------------------
ReplyResult = Literal["replied", "not_replied", "uncertain"]
REPLY_ATTEMPTS = 2


def reply_once(*, reply_token: str, messages: list[dict[str, Any]]) -> ReplyResult:
    """Reply with a webhook event's token, never twice: LINE's reply endpoint takes no retry
    key, so a timeout or a 5xx leaves open whether LINE delivered the reply. The same token
    is then tried again: LINE answers 200 (the first try did not get through) or 400 (the
    token is spent: the first try did). The caller pushes only on "not_replied" (no token,
    an expired or used one, 429, another 4xx): LINE did not deliver. "uncertain" (LINE did
    not answer, twice) is neither pushed nor retried again: a resident may miss one answer,
    but never gets one twice."""
    if not reply_token:
        return "not_replied"
    unanswered = False  # an earlier try that LINE may have delivered
    for _attempt in range(REPLY_ATTEMPTS):
        try:
            client.reply(reply_token=reply_token, messages=messages)
        except LineRejected as exc:
            # 400 after a try LINE did not answer: the token was spent by that try
            return "replied" if unanswered and exc.status == 400 else "not_replied"
        except LineRateLimited:
            if not unanswered:
                return "not_replied"
        except LineTemporaryError:
            unanswered = True
        else:
            return "replied"
    logger.warning("a reply stayed unanswered by LINE (%d tries); not pushed, to send it at most once", REPLY_ATTEMPTS)
    return "uncertain"


# -- pushes to residents --------------------------------------------------------


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
    except Exception as exc:  # stays queued; the beat job re-enqueues it
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
