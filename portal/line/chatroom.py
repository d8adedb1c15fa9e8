"""A resident's one-on-one chat as staff see it: the chat log (what the resident wrote that no
flow expected, and what the bot answered), marking their messages read, LINE's loading
animation, and a staff answer sent exactly once (the reply token while it is valid, else a push).

- ``chat_log_record(ctx)`` — the dispatcher's: keeps one event and the replies to it
  (``ChatContext.in_chat_log``);
- ``chat_log(*, resident, since, until=None)`` — the lines of a resident's log, oldest first;
- ``mark_read(*, resident)`` — LINE's ``markAsRead`` with the token of the resident's latest
  unread logged message (LINE marks that message and every earlier one read);
- ``show_loading(*, resident, seconds=60)`` — LINE's loading animation;
- ``answer(*, resident, messages, dedupe_key, purpose)`` — a staff answer, once per key.

Nothing here logs or raises with personal data (user IDs, names, message text).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import client
from .errors import LineError
from .models import ChatLogEntry, OutboundMessage, Resident
from .sender import push_to_resident, reply_once

if TYPE_CHECKING:
    from .chat import ChatContext

logger = logging.getLogger(__name__)

LOADING_SECONDS = range(5, 61, 5)  # LINE: 5–60, a multiple of 5
TEXT_MAX = 10_000  # what a resident can type in one LINE message
_KIND_LABELS = {"image": "画像", "video": "動画", "audio": "音声", "file": "ファイル", "sticker": "スタンプ"}


def reply_token_validity() -> dt.timedelta:
    """How long after the webhook event a reply token is tried (LINE: about a minute)."""
    return dt.timedelta(seconds=float(getattr(settings, "LINE_REPLY_TOKEN_SECONDS", 50)))


# -- the chat log ---------------------------------------------------------------------------
def _message_text(message: dict) -> tuple[str, str, list[str]]:
    """(kind, text, quick-reply labels) of a message the bot sent, for the log."""
    kind = str(message.get("type") or "")
    if kind in ("text", "textV2"):
        text = str(message.get("text") or "")
    else:
        text = str(message.get("altText") or "")
    items = (message.get("quickReply") or {}).get("items") or []
    labels = [str((item.get("action") or {}).get("label") or "") for item in items if isinstance(item, dict)]
    return kind, text[:TEXT_MAX], [label for label in labels if label]


def chat_log_record(ctx: ChatContext) -> list[ChatLogEntry]:
    """Keep ``ctx``'s event (with its markAsRead and reply tokens) and the replies queued to
    it, in the event's transaction. The reply token counts as spent when the bot replied."""
    return ChatLogEntry.objects.bulk_create(chat_log_rows(ctx))


def chat_log_rows(ctx: ChatContext) -> list[ChatLogEntry]:
    """The rows ``chat_log_record`` saves (a batch of events saves its rows together)."""
    event = ctx.event
    now = timezone.now()
    text = event.text if event.kind == "text" else ""
    if event.kind == "location":
        text = " ".join(part for part in (event.title, event.address) if part)
    rows = [
        ChatLogEntry(
            resident=ctx.resident,
            direction=ChatLogEntry.Direction.RESIDENT,
            kind=event.kind[:16],
            text=text[:TEXT_MAX],
            mark_as_read_token=event.mark_as_read_token[:256],
            reply_token=event.reply_token[:256],
            reply_token_spent=bool(ctx.replies) or not event.reply_token,
            created_at=now,
        )
    ]
    for offset, message in enumerate(ctx.replies, start=1):
        kind, reply_text, labels = _message_text(message)
        rows.append(
            ChatLogEntry(
                resident=ctx.resident,
                direction=ChatLogEntry.Direction.BOT,
                kind=kind[:16],
                text=reply_text,
                choices=labels,
                reply_token_spent=True,
                created_at=now + dt.timedelta(microseconds=offset),  # after the message, in order
            )
        )
    return rows


def chat_log_save(rows: list[ChatLogEntry]) -> list[ChatLogEntry]:
    return ChatLogEntry.objects.bulk_create(rows) if rows else []


def chat_log(*, resident: Resident | int, since: dt.datetime, until: dt.datetime | None = None) -> QuerySet[ChatLogEntry]:
    """The resident's logged lines from ``since`` (to ``until``), oldest first."""
    resident_id = resident if isinstance(resident, int) else resident.pk
    qs = ChatLogEntry.objects.filter(resident_id=resident_id, created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    return qs.order_by("created_at", "pk")


def kind_label(kind: str) -> str:
    """What staff read for a line that is not text (「画像」「スタンプ」 …)."""
    return _KIND_LABELS.get(kind, "")


# -- read receipts and the loading animation ------------------------------------------------
def mark_read(*, resident: Resident) -> bool:
    """Mark the resident's logged messages read in their LINE chat (既読), with the token of
    the latest unread one: LINE marks it and every earlier message read. False when nothing
    was unread, or LINE refused or could not be reached (the page opens all the same)."""
    latest = (
        ChatLogEntry.objects.filter(resident=resident, direction=ChatLogEntry.Direction.RESIDENT, read_at__isnull=True)
        .exclude(mark_as_read_token="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or not resident.is_reachable:
        return False
    try:
        client.mark_as_read(mark_as_read_token=latest.mark_as_read_token)
    except LineError as exc:
        logger.warning("mark as read failed (%s)", type(exc).__name__)
        return False
    ChatLogEntry.objects.filter(
        resident=resident, direction=ChatLogEntry.Direction.RESIDENT, read_at__isnull=True, created_at__lte=latest.created_at
    ).update(read_at=timezone.now())
    return True


def check_loading_seconds(seconds: int) -> None:
    if seconds not in LOADING_SECONDS:
        raise ValueError("loading seconds must be 5–60, a multiple of 5")


def show_loading(*, resident: Resident, seconds: int = 60) -> bool:
    """Show LINE's loading animation in the resident's chat for ``seconds`` (5–60, a multiple
    of 5); it ends sooner when the bot's next message arrives. False when LINE refused it or
    could not be reached (it is a courtesy: nothing waits for it)."""
    check_loading_seconds(seconds)
    if not resident.is_reachable:
        return False
    try:
        client.show_loading(chat_id=resident.line_user_id, seconds=seconds)
    except LineError as exc:
        logger.warning("loading animation failed (%s)", type(exc).__name__)
        return False
    return True


# -- a staff answer, once --------------------------------------------------------------------
Delivery = Literal["reply", "push", "duplicate", "unknown"]


def _claim_reply_token(resident: Resident, dedupe_key: str) -> str | None:
    """The newest unspent reply token of the resident still within its validity, now spent
    for ``dedupe_key``; "" when there is none; None when ``dedupe_key`` already spent one."""
    fresh = (
        ChatLogEntry.objects.filter(
            resident=resident,
            direction=ChatLogEntry.Direction.RESIDENT,
            reply_token_spent=False,
            created_at__gte=timezone.now() - reply_token_validity(),
        )
        .exclude(reply_token="")
        .order_by("-created_at", "-pk")
        .values_list("pk", "reply_token")
        .first()
    )
    if fresh is None:
        return ""
    try:
        with transaction.atomic():
            claimed = ChatLogEntry.objects.filter(pk=fresh[0], reply_token_spent=False).update(
                reply_token_spent=True, reply_dedupe_key=dedupe_key
            )
    except IntegrityError:
        return None  # this answer already took a reply token
    return fresh[1] if claimed else ""


def answer(*, resident: Resident, messages: list[dict], dedupe_key: str, purpose: str) -> Delivery:
    """Send a staff answer to the resident exactly once per ``dedupe_key``: with the reply
    token of their latest message while it is valid and unused, else (or when LINE refuses
    the reply) pushed through ``sender.push_to_resident`` with the same key. A second call
    with the key sends nothing and answers "duplicate". Call it after the commit that saved
    the answer (no transaction is held across LINE's answer)."""
    if not dedupe_key:
        raise ValueError("an answer needs a dedupe key")
    if (
        OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists()
        or ChatLogEntry.objects.filter(reply_dedupe_key=dedupe_key).exists()
    ):
        return "duplicate"
    token = _claim_reply_token(resident, dedupe_key) if resident.is_reachable else ""
    if token is None:
        return "duplicate"
    if token and len(messages) <= 5:
        replied = reply_once(reply_token=token, messages=messages)
        if replied != "not_replied":
            return "reply" if replied == "replied" else "unknown"
    push_to_resident(resident=resident, messages=messages, purpose=purpose, dedupe_key=dedupe_key)
    return "push"
