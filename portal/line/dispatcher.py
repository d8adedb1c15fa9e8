"""The chat dispatcher: one stored webhook event → the resident registry and the chat
flows (``chat.py``), and the replies sent after the event's commit."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from . import chat, chatroom, client
from .client import LineError
from .models import Conversation, Resident
from .registry import resident_block, resident_follow, resident_for_message, resident_set_segment_opt_out
from .sender import push_to_resident

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
    if ctx.in_chat_log:
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
    for start in range(0, len(messages), 5):
        batch = messages[start : start + 5]
        if reply_token and start == 0:
            try:
                client.reply(reply_token=reply_token, messages=batch)
                continue
            except LineError as exc:
                logger.info("reply failed (%s); pushing instead", type(exc).__name__)
        push_to_resident(resident=resident, messages=batch, purpose="chat")
