"""Writes of the LINE layer: storing and processing webhook events, the chat dispatcher,
the resident registry, and the shared sender every feature pushes through.

Nothing here logs or raises with personal data (user IDs, names, message text).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import chat, client, ratelimit
from .client import LineError, LineRateLimited, LineRejected, LineTemporaryError
from .models import Conversation, LineSettings, OutboundMessage, Resident, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_LEASE = timedelta(minutes=5)
EVENT_MAX_ATTEMPTS = 5
PENDING_GRACE = timedelta(minutes=1)
OUTBOUND_GRACE = timedelta(minutes=10)
STOP_WORDS = {"配信停止"}
RESUME_WORDS = {"配信再開"}
CANCEL_WORDS = {"キャンセル", "やめる", "中止"}
WEBHOOK_INSERT_ROWS = 150


# -- webhook ----------------------------------------------------------------------------------
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
    from .tasks import process_webhook_event, process_webhook_events

    task, args = (process_webhook_event, [ids[0]]) if len(ids) == 1 else (process_webhook_events, [ids])
    try:
        task.apply_async(args=args, retry=True, retry_policy={"max_retries": 1, "interval_start": 0})
    except Exception as exc:  # noqa: BLE001 - the broker is down: the beat job re-enqueues
        logger.warning("%d webhook event(s) stay pending: enqueue failed (%s)", len(ids), type(exc).__name__)
        if getattr(task.app.conf, "task_always_eager", False):
            raise


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


def requeue_pending(*, older_than: timedelta = PENDING_GRACE) -> dict[str, int]:
    """Beat job: re-enqueue events still pending (broker was down, worker crashed) and
    pushes still queued long after they were made. Claims and retry keys keep this safe."""
    from .tasks import process_webhook_event, send_outbound

    now = timezone.now()
    events = list(
        WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING, received_at__lt=now - older_than)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("received_at")
        .values_list("pk", flat=True)[:5000]
    )
    for pk in events:
        process_webhook_event.delay(pk)
    pushes = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, created_at__lt=now - OUTBOUND_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:5000]
    )
    for pk in pushes:
        send_outbound.delay(pk)
    return {"events": len(events), "pushes": len(pushes)}


# -- dispatcher ---------------------------------------------------------------------------------
def chat_event_from_payload(payload: dict) -> chat.ChatEvent | None:
    kind = payload.get("type")
    common = {"reply_token": payload.get("replyToken") or "", "timestamp_ms": int(payload.get("timestamp") or 0)}
    if kind == "postback":
        postback = payload.get("postback") or {}
        return chat.ChatEvent(
            kind="postback", postback_data=str(postback.get("data") or ""), postback_params=postback.get("params") or {}, **common
        )
    if kind != "message":
        return None
    message = payload.get("message") or {}
    mtype = message.get("type") or ""
    if mtype == "text":
        return chat.ChatEvent(kind="text", text=str(message.get("text") or "").strip(), **common)
    if mtype == "location":
        return chat.ChatEvent(
            kind="location",
            latitude=message.get("latitude"),
            longitude=message.get("longitude"),
            address=message.get("address") or "",
            title=message.get("title") or "",
            message_id=str(message.get("id") or ""),
            **common,
        )
    if mtype in ("image", "video", "audio", "file", "sticker"):
        return chat.ChatEvent(kind=mtype, message_id=str(message.get("id") or ""), **common)
    return chat.ChatEvent(kind=mtype or "unknown", **common)


def dispatch_event(payload: dict) -> list[tuple[Resident, str, list[dict]]]:
    """Apply one webhook event; returns the replies to send after commit."""
    source = payload.get("source") or {}
    user_id = source.get("userId") if source.get("type") == "user" else None
    kind = payload.get("type")
    if not user_id:
        return []  # group/room events and events without a user: nothing to do
    if kind == "follow":
        resident = resident_follow(line_user_id=user_id)
        follow = chat.ChatEvent(kind="follow", reply_token=payload.get("replyToken") or "")
        ctx = chat.ChatContext(resident=resident, event=follow, conversation=None)
        _greet(ctx)
        return [(resident, ctx.event.reply_token, ctx.replies)] if ctx.replies else []
    if kind == "unfollow":
        resident_block(line_user_id=user_id)
        return []
    event = chat_event_from_payload(payload)
    if event is None:
        return []  # unknown event types are stored and acknowledged, nothing more
    resident = resident_for_message(line_user_id=user_id)
    if not resident.is_reachable:
        return []
    ctx = chat.ChatContext(resident=resident, event=event, conversation=_active_conversation(resident))
    chat_dispatch(ctx)
    return [(resident, event.reply_token, ctx.replies)] if ctx.replies else []


def _active_conversation(resident: Resident) -> Conversation | None:
    conversation = Conversation.objects.filter(resident=resident).first()
    if conversation is not None and conversation.expires_at <= timezone.now():
        conversation.delete()
        return None
    return conversation


def _greet(ctx: chat.ChatContext) -> None:
    flow = chat.flow_named("preferences")
    if flow is not None:
        flow.start(ctx)
    else:
        ctx.reply(chat.text_message(_("友だち追加ありがとうございます。")))


def chat_dispatch(ctx: chat.ChatContext) -> None:
    """The order documented in ``chat.py``, with 配信停止/配信再開 as built-in words."""
    event = ctx.event
    text = event.text if event.kind == "text" else ""
    if text in CANCEL_WORDS and ctx.conversation is not None:
        ctx.end()
        ctx.reply(chat.text_message(_("手続きを中止しました。")))
        return
    if text in STOP_WORDS:
        resident_set_segment_opt_out(resident=ctx.resident, opt_out=True)
        ctx.reply(
            chat.text_message(
                _("お知らせの配信を停止しました。緊急情報は引き続きお届けします。再開するときは「配信再開」と送ってください。")
            )
        )
        return
    if text in RESUME_WORDS:
        resident_set_segment_opt_out(resident=ctx.resident, opt_out=False)
        ctx.reply(chat.text_message(_("お知らせの配信を再開しました。")))
        return
    for flow in chat.flows():
        try:
            matched = flow.matches(event)
        except Exception:  # noqa: BLE001 - a broken flow must not stop the others
            logger.exception("flow %s failed in matches()", getattr(flow, "name", "?"))
            matched = False
        if matched:
            flow.start(ctx)
            return
    if ctx.conversation is not None:
        flow = chat.flow_named(ctx.conversation.flow)
        if flow is not None:
            flow.handle(ctx)
            return
        ctx.end()
    ctx.reply(
        chat.text_message(
            _("メッセージありがとうございます。メニューから選ぶか、「受信設定」「設定確認」「配信停止」などと送ってください。"),
            quick_replies=[chat.quick_message(_("受信設定")), chat.quick_message(_("設定確認"))],
        )
    )


def reply_or_push(*, resident: Resident, reply_token: str, messages: list[dict]) -> None:
    """Send chat replies: with the reply token, or pushed when the token is gone (expired,
    used) or LINE could not take the reply now."""
    for start in range(0, len(messages), 5):
        batch = messages[start : start + 5]
        if reply_token and start == 0:
            try:
                client.reply(reply_token=reply_token, messages=batch)
                continue
            except LineError as exc:
                logger.info("reply failed (%s); pushing instead", type(exc).__name__)
        push_to_resident(resident=resident, messages=batch, purpose="chat")


# -- residents ----------------------------------------------------------------------------------
def _profile_name(line_user_id: str) -> str:
    try:
        return str(client.get_profile(user_id=line_user_id).get("displayName") or "")[:100]
    except LineError as exc:
        logger.info("profile unavailable (%s)", type(exc).__name__)
        return ""


def resident_follow(*, line_user_id: str) -> Resident:
    """Create or reactivate the resident; the display name comes from LINE's profile."""
    name = _profile_name(line_user_id)
    now = timezone.now()
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is None:
        try:
            with transaction.atomic():
                return Resident.objects.create(line_user_id=line_user_id, display_name=name, followed_at=now)
        except IntegrityError:
            resident = Resident.objects.get(line_user_id=line_user_id)
    resident.status = Resident.Status.ACTIVE
    resident.followed_at = now
    resident.blocked_at = None
    resident.purged_at = None
    if name:
        resident.display_name = name
    resident.save(update_fields=["status", "followed_at", "blocked_at", "purged_at", "display_name"])
    return resident


def resident_for_message(*, line_user_id: str) -> Resident:
    """The resident who sent a message (a friend from before the portal gets a record)."""
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is not None:
        return resident
    # No profile call here: the display name is only needed for a lookup, and a follow
    # (or the next one) fills it in; messages must not wait on LINE's profile endpoint.
    try:
        with transaction.atomic():
            return Resident.objects.create(line_user_id=line_user_id)
    except IntegrityError:
        return Resident.objects.get(line_user_id=line_user_id)


def resident_block(*, line_user_id: str) -> Resident | None:
    """Unfollow: the resident is excluded from every send; personal fields are purged
    after the retention period (``portal.line.retention.residents_purge_blocked``)."""
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is None:
        return None
    resident.status = Resident.Status.BLOCKED
    resident.blocked_at = timezone.now()
    resident.save(update_fields=["status", "blocked_at"])
    Conversation.objects.filter(resident=resident).delete()
    return resident


def resident_set_segment_opt_out(*, resident: Resident, opt_out: bool) -> Resident:
    resident.segment_opt_out = opt_out
    resident.save(update_fields=["segment_opt_out"])
    return resident


def line_settings_update(*, blocked_retention_days: int) -> LineSettings:
    settings_row = LineSettings.current()
    settings_row.blocked_retention_days = blocked_retention_days
    settings_row.save()
    return settings_row


# -- the shared sender ------------------------------------------------------------------------
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
