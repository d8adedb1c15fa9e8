"""Simulated residents: webhook events shaped as in LINE's ``webhook.yml``, and the
``X-Line-Signature`` LINE puts on them. Used by ``manage.py line_simulate``, the
``line_resident`` test fixture and ``bench/webhook.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import string
import time
from typing import Any

from .emulator import USER_ID_RE

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def signature(body: bytes, channel_secret: str) -> str:
    """Base64 HMAC-SHA256 of the raw body with the channel secret, as LINE signs it."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def new_event_id() -> str:
    """A ULID-shaped webhook event id (26 Crockford base32 characters)."""
    millis = int(time.time() * 1000)
    head = ""
    for _ in range(10):
        head = _ULID_ALPHABET[millis % 32] + head
        millis //= 32
    tail = "".join(random.SystemRandom().choice(_ULID_ALPHABET) for _ in range(16))
    return head + tail


def new_user_id() -> str:
    return "U" + os.urandom(16).hex()


def user_id_for(label: str) -> str:
    """A valid LINE user ID (``U`` + 32 lower-case hex digits) derived from ``label``: the
    same label always names the same simulated resident (tests, demo scripts)."""
    return "U" + hashlib.sha256(label.encode()).hexdigest()[:32]


def is_user_id(value: str) -> bool:
    """Whether ``value`` has the shape of a LINE user ID, as LINE checks it."""
    return bool(USER_ID_RE.match(value))


def new_message_id() -> str:
    return str(random.SystemRandom().randrange(10**17, 10**18))


def new_reply_token() -> str:
    return os.urandom(16).hex()


def new_read_token() -> str:
    """A message event's ``markAsReadToken`` (opaque to the bot)."""
    return base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")


def read_tokens(events: list[dict]) -> dict[str, str]:
    """``{markAsReadToken: user id}`` of the message events in ``events`` (to register with the emulator)."""
    found = {}
    for event in events:
        token = (event.get("message") or {}).get("markAsReadToken")
        user = (event.get("source") or {}).get("userId")
        if token and user:
            found[token] = user
    return found


def _base(kind: str, user_id: str, *, reply: bool = True, event_id: str | None = None, redelivery: bool = False) -> dict:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or new_event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply:
        event["replyToken"] = new_reply_token()
    return event


def follow_event(user_id: str, *, unblocked: bool = False, **kw: Any) -> dict:
    event = _base("follow", user_id, **kw)
    event["follow"] = {"isUnblocked": unblocked}
    return event


def unfollow_event(user_id: str, **kw: Any) -> dict:
    return _base("unfollow", user_id, reply=False, **kw)


def text_event(user_id: str, text: str, **kw: Any) -> dict:
    event = _base("message", user_id, **kw)
    event["message"] = {
        "type": "text",
        "id": new_message_id(),
        "quoteToken": new_reply_token(),
        "markAsReadToken": new_read_token(),
        "text": text,
    }
    return event


def image_event(user_id: str, *, message_id: str | None = None, **kw: Any) -> dict:
    event = _base("message", user_id, **kw)
    event["message"] = {
        "type": "image",
        "id": message_id or new_message_id(),
        "quoteToken": new_reply_token(),
        "markAsReadToken": new_read_token(),
        "contentProvider": {"type": "line"},
    }
    return event


def location_event(user_id: str, latitude: float, longitude: float, address: str = "", title: str = "", **kw: Any) -> dict:
    event = _base("message", user_id, **kw)
    message: dict[str, Any] = {
        "type": "location",
        "id": new_message_id(),
        "markAsReadToken": new_read_token(),
        "latitude": latitude,
        "longitude": longitude,
    }
    if address:
        message["address"] = address
    if title:
        message["title"] = title
    event["message"] = message
    return event


def sticker_event(user_id: str, **kw: Any) -> dict:
    event = _base("message", user_id, **kw)
    event["message"] = {
        "type": "sticker",
        "id": new_message_id(),
        "quoteToken": new_reply_token(),
        "markAsReadToken": new_read_token(),
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "STATIC",
    }
    return event


def postback_event(user_id: str, data: str, params: dict | None = None, **kw: Any) -> dict:
    event = _base("postback", user_id, **kw)
    event["postback"] = {"data": data}
    if params:
        event["postback"]["params"] = dict(params)
    return event


def callback_body(events: list[dict], destination: str | None = None) -> bytes:
    """The request body LINE posts: ``{"destination": ..., "events": [...]}``."""
    destination = destination or "U" + "0" * 32
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False, separators=(",", ":")).encode()


def random_suffix(n: int = 6) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))
