"""The chat dispatcher: one stored webhook event → the resident registry and the chat
flows (``chat.py``), and the replies sent after the event's commit."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import chat, chatroom
from .models import ChatLogEntry, Conversation, Resident
from .registry import (
    resident_block,
    resident_follow,
    resident_for_message,
    resident_set_segment_opt_out,
    residents_for_messages,
)
from .sender import push_to_resident, reply_once

logger = logging.getLogger(__name__)

STOP_WORDS = {"配信停止"}
RESUME_WORDS = {"配信再開"}
CANCEL_WORDS = {"キャンセル", "やめる", "中止"}


def chat_event_from_payload(payload: dict) -> chat.ChatEvent | None:
    kind = payload.get("type")
    common: dict[str, Any] = {"reply_token": payload.get("replyToken") or "", "timestamp_ms": int(payload.get("timestamp") or 0)}
    if kind == "postback":
        postback = payload.get("postback") or {}
        return chat.ChatEvent(
            kind="postback", postback_data=str(postback.get("data") or ""), postback_params=postback.get("params") or {}, **common
        )
    if kind != "message":
        return None
    message = payload.get("message") or {}
    mtype = message.get("type") or ""
    common["mark_as_read_token"] = str(message.get("markAsReadToken") or "")
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


class Prefetched:
    """What a batch of events needs, read set-based before they are applied one by one:
    the residents who sent a message or postback (created when new) and their stored
    conversations. A conversation is handed out once (a second event of the same resident
    in the batch reads it again); a follow or unfollow forgets its resident. ``batch`` is
    what the batch's events share with the flows and answerers (``chat.ChatBatch``)."""

    def __init__(self, payloads: list[dict]) -> None:
        user_ids = sorted(
            {uid for payload in payloads if payload.get("type") in ("message", "postback") and (uid := _user_id(payload))}
        )
        found = residents_for_messages(line_user_ids=user_ids) if user_ids else {}
        self.residents: dict[str, Resident] = {uid: resident for uid, (resident, _c) in found.items()}
        self._conversations: dict[int, Conversation | None] = {resident.pk: c for resident, c in found.values()}
        ids = list(self._conversations)
        self.batch = chat.ChatBatch(resident_ids=ids)
        self.chat_log: list[ChatLogEntry] = []  # saved together by ``finish``

    def finish(self) -> None:
        """Save what the batch's events kept in the chat log (one INSERT, in event order),
        in the batch's transaction: nothing of the batch reads the log back."""
        rows, self.chat_log = self.chat_log, []
        chatroom.chat_log_save(rows)

    def resident(self, line_user_id: str) -> Resident | None:
        return self.residents.get(line_user_id)

    def conversation(self, resident: Resident) -> Conversation | None:
        if resident.pk not in self._conversations:
            return _active_conversation(resident)
        conversation = self._conversations.pop(resident.pk)
        if conversation is not None and conversation.expires_at <= timezone.now():
            conversation.delete()
            return None
        return conversation

    def forget(self, line_user_id: str) -> None:
        resident = self.residents.pop(line_user_id, None)
        if resident is not None:
            self._conversations.pop(resident.pk, None)


def _user_id(payload: dict) -> str | None:
    source = payload.get("source") or {}
    return source.get("userId") if source.get("type") == "user" else None


def dispatch_event(payload: dict, *, prefetched: Prefetched | None = None) -> list[tuple[Resident, str, list[dict]]]:
    """Apply one webhook event; returns the replies to send after commit. ``prefetched``:
    residents and conversations read for a batch of events (``Prefetched``)."""
    user_id = _user_id(payload)
    kind = payload.get("type")
    if not user_id:
        return []  # group/room events and events without a user: nothing to do
    if kind in ("follow", "unfollow") and prefetched is not None:
        prefetched.forget(user_id)
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
    resident = (prefetched.resident(user_id) if prefetched is not None else None) or resident_for_message(line_user_id=user_id)
    if not resident.is_reachable:
        return []
    conversation = prefetched.conversation(resident) if prefetched is not None else _active_conversation(resident)
    batch = prefetched.batch if prefetched is not None and resident.pk in prefetched.batch.resident_ids else None
    ctx = chat.ChatContext(resident=resident, event=event, conversation=conversation, batch=batch)
    chat_dispatch(ctx)
    if ctx.in_chat_log:
        if prefetched is not None:
            prefetched.chat_log.extend(chatroom.chat_log_rows(ctx))
        else:
            chatroom.chat_log_record(ctx)
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
        except Exception:  # a broken flow must not stop the others
            logger.exception("flow %s failed in matches()", getattr(flow, "name", "?"))
            matched = False
        if matched:
            flow.start(ctx)
            return
    if ctx.conversation is not None:
        named = chat.flow_named(ctx.conversation.flow)
        if named is not None:
            named.handle(ctx)
            return
        ctx.end()
    ctx.keep_in_chat_log()  # a message no flow expects: staff may need to read it
    for name, answerer in chat.answerers():
        try:
            if answerer(ctx):
                return
        except Exception:  # a broken answerer must not stop the fallback reply
            logger.exception("answerer %s failed", name)
    ctx.reply(
        chat.text_message(
            _("メッセージありがとうございます。メニューから選ぶか、「受信設定」「設定確認」「配信停止」などと送ってください。"),
            quick_replies=[chat.quick_message(_("受信設定")), chat.quick_message(_("設定確認"))],
        )
    )


def reply_or_push(*, resident: Resident, reply_token: str, messages: list[dict]) -> None:
    """Send chat replies: with the reply token, or pushed when the token is gone (expired,
    used) or LINE could not take the reply now."""
    replies_send([(resident, reply_token, messages)])


def _reply(reply_token: str, messages: list[dict]) -> bool:
    """One reply (no database: it may run on a pool thread). False only when LINE surely did
    not deliver it (the caller pushes then); a reply LINE left unanswered is not pushed."""
    return reply_once(reply_token=reply_token, messages=messages[:5]) != "not_replied"


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _reply_pool() -> ThreadPoolExecutor:
    """Threads for reply requests, one pool per process (a forked worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            workers = max(1, int(getattr(settings, "LINE_REPLY_CONCURRENCY", 8)))
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="line-reply"))
        return _pool[1]


def replies_send(outgoing: list[tuple[Resident, str, list[dict]]]) -> None:
    """Send the replies of several processed events: the reply requests (each event's first
    five messages, with its token) go out several at once, since each one waits a round
    trip to LINE; whatever LINE did not take as a reply, and any further messages, is then
    pushed through ``push_to_resident`` (purpose ``chat``) from this thread."""
    if not outgoing:
        return
    firsts = [(token, messages) for _resident, token, messages in outgoing]
    if len(outgoing) == 1:
        replied = [_reply(*firsts[0])]
    else:
        replied = list(_reply_pool().map(lambda item: _reply(*item), firsts))
    for (resident, _token, messages), ok in zip(outgoing, replied, strict=True):
        for start in range(5 if ok else 0, len(messages), 5):
            push_to_resident(resident=resident, messages=messages[start : start + 5], purpose="chat")
