"""A local stand-in for the LINE platform (Messaging API + data host on one port).

Nothing in tests, benchmarks or the demo calls the real LINE platform: they point
``LINE_API_BASE_URL`` / ``LINE_API_DATA_BASE_URL`` here. The emulator follows
``messaging-api.yml`` for the endpoints the project uses:

- ``POST /v2/bot/message/push``, ``/multicast``, ``/broadcast``, ``/reply``;
- ``GET /v2/bot/profile/{userId}``; ``GET /v2/bot/message/{messageId}/content``;
- rich menus (``emulator_richmenus.py``, one of the ``EXTENSIONS``);
- insight: statistics per request / aggregation unit, followers, demographics, with simulated
  opens and clicks (``emulator_insight.py``).

It validates requests as strictly as LINE does (LINE-shaped 400 bodies: ``message`` plus
``details`` of ``{message, property}``): user IDs are ``U`` + 32 lower-case hex digits, media
URLs HTTPS only (≤ 2,000 characters), texts ≤ 5,000 UTF-16 units, 1–5 messages, 1–500
multicast recipients, quick replies 1–13 with their label/data/text lengths and action enums,
required fields per message type. The one exception is opt-in and for the local demo only:
``allow_http_media`` (``line_emulator --allow-http-media PREFIX``) accepts plain-HTTP media
URLs under the given prefixes. It answers 401 for a wrong
channel access token, 429 past per-endpoint rate limits (sliding windows), 409 for an
``X-Line-Retry-Key`` already accepted (with ``x-line-accepted-request-id``), sets
``x-line-request-id`` on every answer, and injects faults on request (a share of 429, 500,
or answers delayed past the client's timeout, after the delivery was made).

Inspection and control under ``/_emulator/`` (see ``_ADMIN_ROUTES``). Per-user delivery
counts stay compact for big runs: a count per user, plus the messages themselves only for
the first ``detail_users`` users.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.utils.module_loading import import_string

from . import emulator_chat

DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    # endpoint: (requests, window seconds) — LINE's published limits
    "push": (2000, 1.0),
    "multicast": (200, 1.0),
    "broadcast": (60, 3600.0),
    "reply": (2000, 1.0),
    "profile": (2000, 1.0),
    "content": (2000, 1.0),
    **emulator_chat.LIMITS,
}
SEND_ENDPOINTS = ("push", "multicast", "broadcast", "reply")
# Endpoint groups in modules of their own (``devtools/emulator_<name>.py``): a class taking the
# state, with ``name``, ``LIMITS``, ``reset()``, ``handle(...)`` and ``admin(...)`` (None: not ours).
# An extension may also watch the send endpoints: ``validate_send(endpoint, body)`` (more LINE
# errors) and ``delivered(endpoint, request_id, body, recipients)`` (called under the lock).
EXTENSIONS: tuple[str, ...] = (
    "portal.line.devtools.emulator_richmenus.RichMenuEmulator",
    "portal.line.devtools.emulator_insight.InsightEmulator",
)
TEXT_MAX = 5000
URL_MAX = 2000
MULTICAST_MAX = 500
MESSAGES_MAX = 5
QUICK_REPLY_MAX = 13
RETRY_KEY_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KNOWN_MESSAGE_TYPES = {
    "text",
    "textV2",
    "sticker",
    "image",
    "video",
    "audio",
    "location",
    "imagemap",
    "template",
    "flex",
    "coupon",
}
# LINE's user IDs (webhook.yml: ``^U[0-9a-f]{32}$``); a push may also go to a group (C…) or
# a multi-person chat (R…). Anything else is refused, as LINE refuses it.
USER_ID_RE = re.compile(r"^U[0-9a-f]{32}\Z")
PUSH_TARGET_RE = re.compile(r"^[UCR][0-9a-f]{32}\Z")
LOCATION_TEXT_MAX = 100
SENDER_NAME_MAX = 20
LABEL_MAX = 20
ACTION_TEXT_MAX = 300
URI_ACTION_MAX = 1000
URI_SCHEMES = {"http", "https", "line", "tel"}
QUICK_REPLY_ACTIONS = {"postback", "message", "uri", "datetimepicker", "camera", "cameraRoll", "location", "clipboard"}
POSTBACK_INPUT_OPTIONS = {"closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"}
DATETIME_MODES = {"date", "time", "datetime"}

_FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"]
_GIVEN = ["花子", "太郎", "陽菜", "蓮", "結衣", "湊", "さくら", "大翔", "美咲", "悠真", "葵", "翔太"]


def sample_jpeg(seed: int = 0, size: tuple[int, int] = (320, 240)) -> bytes:
    """Real JPEG bytes (a road-like gradient with a dark blob), made with Pillow."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, (120, 120, 125))
    draw = ImageDraw.Draw(image)
    for y in range(0, size[1], 8):
        shade = 100 + (y * 60 // size[1]) + rng.randint(-6, 6)
        draw.rectangle([0, y, size[0], y + 8], fill=(shade, shade, shade + 4))
    cx, cy = rng.randint(60, size[0] - 60), rng.randint(60, size[1] - 60)
    draw.ellipse([cx - 40, cy - 25, cx + 40, cy + 25], fill=(40, 38, 36))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def fake_display_name(user_id: str) -> str:
    h = sum(user_id.encode()) if user_id else 0
    return f"{_FAMILY[h % len(_FAMILY)]} {_GIVEN[(h // 7) % len(_GIVEN)]}"


class ValidationFailed(Exception):
    def __init__(self, message: str, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


@dataclass
class Faults:
    rate_429: float = 0.0
    rate_500: float = 0.0
    delay_rate: float = 0.0
    delay_seconds: float = 5.0
    retry_after: float | None = None  # Retry-After header on injected 429s
    limit: int | None = None  # at most this many injected faults (None: no limit)
    endpoints: tuple[str, ...] = SEND_ENDPOINTS
    injected: int = 0

    def as_dict(self) -> dict:
        return {
            "rate_429": self.rate_429,
            "rate_500": self.rate_500,
            "delay_rate": self.delay_rate,
            "delay_seconds": self.delay_seconds,
            "retry_after": self.retry_after,
            "limit": self.limit,
            "endpoints": list(self.endpoints),
            "injected": self.injected,
        }


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON; bytes -> raw
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0


class EmulatorState:
    """Everything the emulator knows; thread-safe (one lock, short critical sections)."""

    def __init__(
        self,
        *,
        token: str = "demo-channel-access-token",  # noqa: S107 - the demo default, as in settings
        limits: dict[str, tuple[int, float]] | None = None,
        faults: Faults | None = None,
        detail_users: int = 20000,
        keep_requests: int = 5000,
        reply_token_ttl: float = 60.0,
        strict_reply_tokens: bool = True,
        allow_http_media: tuple[str, ...] = (),
        seed: int | None = None,
    ) -> None:
        self.token = token
        self.limits = dict(DEFAULT_LIMITS)
        # Endpoints kept in their own modules (``EXTENSIONS``), each with its own limits.
        self.extensions: dict[str, Any] = {}
        for dotted in EXTENSIONS:
            extension = import_string(dotted)(self)
            self.extensions[extension.name] = extension
            self.limits.update(extension.LIMITS)
        if limits:
            self.limits.update(limits)
        self.faults = faults or Faults()
        self.detail_users = detail_users
        self.keep_requests = keep_requests
        self.reply_token_ttl = reply_token_ttl
        self.strict_reply_tokens = strict_reply_tokens
        # Plain-HTTP URL prefixes accepted for media (LINE accepts none): only the local demo
        # sets one, its own PORTAL_BASE_URL (``line_emulator --allow-http-media``).
        self.allow_http_media = tuple(allow_http_media)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.reset()

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.counts: dict[str, int] = {}
            self.messages: dict[str, list[dict]] = {}
            self.broadcasts: list[list[dict]] = []
            self.request_log: deque = deque(maxlen=self.keep_requests)
            self.endpoint_counts: Counter = Counter()
            self.status_counts: Counter = Counter()
            self.accepted_keys: dict[str, str] = {}  # retry key -> accepted request id
            self.windows: dict[str, deque] = {}
            self.reply_tokens: dict[str, tuple[str, float]] = {}  # token -> (user id, issued)
            self.used_reply_tokens: set[str] = set()
            self.content: dict[str, tuple[bytes, str]] = {}
            self.profiles: dict[str, dict] = {}
            self.total_deliveries = 0
            self.faults.injected = 0
            emulator_chat.reset(self)
            for extension in getattr(self, "extensions", {}).values():
                extension.reset()

    def set_faults(self, **values: Any) -> Faults:
        with self.lock:
            faults = Faults()
            for key, value in values.items():
                if key == "endpoints" and value is not None:
                    value = tuple(value)
                if value is not None or key in ("retry_after", "limit"):
                    setattr(faults, key, value)
            self.faults = faults
            return faults

    def set_limits(self, limits: dict[str, Any]) -> None:
        with self.lock:
            for endpoint, value in limits.items():
                if isinstance(value, list | tuple):
                    self.limits[endpoint] = (int(value[0]), float(value[1]))
                else:
                    self.limits[endpoint] = (int(value), self.limits.get(endpoint, (0, 1.0))[1])
            self.windows.clear()

    def add_content(self, message_id: str, body: bytes, content_type: str = "image/jpeg") -> None:
        with self.lock:
            self.content[message_id] = (body, content_type)

    def add_reply_token(self, reply_token: str, user_id: str) -> None:
        with self.lock:
            self.reply_tokens[reply_token] = (user_id, time.monotonic())

    def expire_reply_tokens(self) -> None:
        with self.lock:
            for token, (user, _issued) in list(self.reply_tokens.items()):
                self.reply_tokens[token] = (user, -1e9)

    def add_profile(self, user_id: str, display_name: str) -> None:
        with self.lock:
            self.profiles[user_id] = {"userId": user_id, "displayName": display_name}

    # -- inspection -------------------------------------------------------------------------
    def received(self, user_id: str) -> list[dict]:
        with self.lock:
            return list(self.messages.get(user_id, []))

    def count(self, user_id: str) -> int:
        with self.lock:
            return self.counts.get(user_id, 0)

    def requests(self, endpoint: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.request_log if endpoint is None or r["endpoint"] == endpoint]

    def summary(self) -> dict:
        with self.lock:
            counts = self.counts.values()
            return {
                "users": len(self.counts),
                "deliveries": self.total_deliveries,
                "max_per_user": max(counts, default=0),
                "users_received_more_than_once": sum(1 for c in counts if c > 1),
                "broadcasts": len(self.broadcasts),
                "requests": dict(self.endpoint_counts),
                "statuses": {str(k): v for k, v in self.status_counts.items()},
                "faults": self.faults.as_dict(),
            }

    # -- request handling -----------------------------------------------------------------
    def _rate_limited(self, endpoint: str, now: float) -> bool:
        limit = self.limits.get(endpoint)
        if not limit:
            return False
        count, window = limit
        stamps = self.windows.get(endpoint)
        if stamps is None:
            stamps = self.windows[endpoint] = deque()
        edge = now - window
        while stamps and stamps[0] <= edge:
            stamps.popleft()
        if len(stamps) >= count:
            return True
        stamps.append(now)
        return False

    def _fault(self, endpoint: str) -> str | None:
        f = self.faults
        if endpoint not in f.endpoints or (f.limit is not None and f.injected >= f.limit):
            return None
        if not (f.rate_429 or f.rate_500 or f.delay_rate):
            return None
        roll = self.rng.random()
        kind = None
        if roll < f.rate_429:
            kind = "429"
        elif roll < f.rate_429 + f.rate_500:
            kind = "500"
        elif roll < f.rate_429 + f.rate_500 + f.delay_rate:
            kind = "delay"
        if kind:
            f.injected += 1
        return kind

    def _deliver(self, user_ids: list[str], messages: list[dict]) -> None:
        counts = self.counts
        detail = self.messages
        room = self.detail_users - len(detail)
        for uid in user_ids:
            counts[uid] = counts.get(uid, 0) + 1
            kept = detail.get(uid)
            if kept is not None:
                kept.extend(messages)
            elif room > 0:
                detail[uid] = list(messages)
                room -= 1
        self.total_deliveries += len(user_ids)

    def handle(self, method: str, path: str, headers: Any, raw: bytes, query: dict | None = None) -> Response:
        request_id = uuid.uuid4().hex
        response = None
        for extension in self.extensions.values():
            response = extension.handle(method, path, query or {}, headers, raw, request_id)
            if response is not None:
                break
        if response is None:
            response = self._handle(method, path, headers, raw, request_id)
        response.headers["x-line-request-id"] = request_id
        with self.lock:
            self.status_counts[response.status] += 1
        return response

    def _route(self, method: str, path: str) -> tuple[str, str]:
        if method == "POST" and path.startswith("/v2/bot/message/"):
            name = path[len("/v2/bot/message/") :]
            if name in SEND_ENDPOINTS:
                return name, ""
        if method == "POST" and path in emulator_chat.ROUTES:
            return emulator_chat.ROUTES[path], ""
        if method == "GET" and path.startswith("/v2/bot/profile/"):
            return "profile", path[len("/v2/bot/profile/") :]
        if method == "GET" and path.startswith("/v2/bot/message/") and path.endswith("/content"):
            return "content", path[len("/v2/bot/message/") : -len("/content")]
        return "", ""

    def _handle(self, method: str, path: str, headers: Any, raw: bytes, request_id: str) -> Response:
        endpoint, arg = self._route(method, path)
        if not endpoint:
            return Response(404, {"message": "Not found"})
        auth = headers.get("Authorization") or ""
        if auth != f"Bearer {self.token}":
            return Response(
                401,
                {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."},
            )
        if endpoint in emulator_chat.LIMITS:
            return emulator_chat.handle(self, endpoint, raw, request_id, Response)
        retry_key = headers.get("X-Line-Retry-Key") or ""
        if endpoint == "profile" and not USER_ID_RE.match(arg):
            self._log(endpoint, request_id, retry_key, None, 400)
            return Response(400, {"message": "The value for the 'userId' parameter is invalid"})
        body: Any = None
        if endpoint in SEND_ENDPOINTS:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return Response(400, {"message": "The request body could not be parsed as JSON"})
            try:
                if retry_key and not RETRY_KEY_RE.match(retry_key):
                    raise ValidationFailed("The value for the 'X-Line-Retry-Key' header is invalid")
                if retry_key and endpoint == "reply":
                    raise ValidationFailed("The retry key cannot be used for this endpoint")
                recipients = self._validate(endpoint, body)
            except ValidationFailed as exc:
                payload: dict = {"message": exc.message}
                if exc.details:
                    payload["details"] = exc.details
                self._log(endpoint, request_id, retry_key, body, 400)
                return Response(400, payload)
        now = time.monotonic()
        with self.lock:
            self.endpoint_counts[endpoint] += 1
            if self._rate_limited(endpoint, now):
                self._log_locked(endpoint, request_id, retry_key, body, 429)
                return Response(429, {"message": "The API rate limit has been exceeded. Try again later."})
            fault = self._fault(endpoint)
            if fault == "429":
                self._log_locked(endpoint, request_id, retry_key, body, 429)
                extra = {"Retry-After": f"{self.faults.retry_after:g}"} if self.faults.retry_after is not None else {}
                return Response(429, {"message": "The API rate limit has been exceeded. Try again later."}, extra)
            if fault == "500":
                self._log_locked(endpoint, request_id, retry_key, body, 500)
                return Response(500, {"message": "An error occurred in the server. Please try again later."})
            delay = self.faults.delay_seconds if fault == "delay" else 0.0

            if endpoint == "profile":
                profile = self.profiles.get(arg) or {"userId": arg, "displayName": fake_display_name(arg)}
                return Response(200, dict(profile), delay=delay)
            if endpoint == "content":
                found = self.content.get(arg)
                if not found:
                    return Response(404, {"message": "Not found"}, delay=delay)
                return Response(200, found[0], content_type=found[1], delay=delay)

            if retry_key:
                accepted = self.accepted_keys.get(retry_key.lower())
                if accepted:
                    self._log_locked(endpoint, request_id, retry_key, body, 409)
                    return Response(
                        409,
                        {"message": "The retry key is already accepted"},
                        {"x-line-accepted-request-id": accepted},
                        delay=delay,
                    )
            messages = body["messages"]
            result: dict = {}
            if endpoint == "reply":
                token = body["replyToken"]
                issued = self.reply_tokens.get(token)
                fresh = issued is not None and (now - issued[1]) <= self.reply_token_ttl
                if token in self.used_reply_tokens or (self.strict_reply_tokens and not fresh):
                    self._log_locked(endpoint, request_id, retry_key, body, 400)
                    return Response(400, {"message": "Invalid reply token"}, delay=delay)
                self.used_reply_tokens.add(token)
                recipients = [issued[0]] if issued else []
            if endpoint == "broadcast":
                self.broadcasts.append(messages)
            else:
                self._deliver(recipients, messages)
            for extension in self.extensions.values():
                if hasattr(extension, "delivered"):
                    extension.delivered(endpoint, request_id, body, recipients if endpoint != "broadcast" else [])
            if endpoint in ("push", "reply"):
                result = {"sentMessages": [{"id": str(self.rng.randrange(10**17, 10**18))} for _ in messages]}
            if retry_key:
                self.accepted_keys[retry_key.lower()] = request_id
            self._log_locked(endpoint, request_id, retry_key, body, 200)
            return Response(200, result, delay=delay)

    def _log(self, endpoint: str, request_id: str, retry_key: str, body: Any, status: int) -> None:
        with self.lock:
            self._log_locked(endpoint, request_id, retry_key, body, status)

    def _log_locked(self, endpoint: str, request_id: str, retry_key: str, body: Any, status: int) -> None:
        self.request_log.append(
            {"endpoint": endpoint, "request_id": request_id, "retry_key": retry_key, "body": body, "status": status}
        )

    # -- validation as LINE does it ---------------------------------------------------------
    def _validate(self, endpoint: str, body: Any) -> list[str]:
        """The request rules of ``messaging-api.yml`` (and LINE's reference pages) for the
        send endpoints: required fields, counts, lengths, enums, user IDs, HTTPS URLs.
        Raises ``ValidationFailed`` with every error found, in LINE's shape."""
        if not isinstance(body, dict):
            raise ValidationFailed("The request body has 1 error(s)", [{"message": "must be an object", "property": ""}])
        details: list[dict] = []
        recipients: list[str] = []
        if endpoint == "push":
            to = body.get("to")
            if not isinstance(to, str) or not to:
                details.append({"message": "must be specified", "property": "to"})
            elif not PUSH_TARGET_RE.match(to):
                details.append({"message": "The property, 'to', in the request body is invalid", "property": "to"})
            else:
                recipients = [to]
        elif endpoint == "multicast":
            to = body.get("to")
            if not isinstance(to, list):
                details.append({"message": "must be specified", "property": "to"})
            elif not (1 <= len(to) <= MULTICAST_MAX):
                details.append({"message": f"Size must be between 1 and {MULTICAST_MAX}", "property": "to"})
            else:
                bad = [i for i, u in enumerate(to) if not (isinstance(u, str) and USER_ID_RE.match(u))]
                details.extend({"message": "invalid user ID", "property": f"to[{i}]"} for i in bad[:10])
                if not bad:
                    recipients = to
        elif endpoint == "reply":
            token = body.get("replyToken")
            if not isinstance(token, str) or not token:
                details.append({"message": "must be specified", "property": "replyToken"})
        if "notificationDisabled" in body and not isinstance(body["notificationDisabled"], bool):
            details.append({"message": "must be a boolean", "property": "notificationDisabled"})
        messages = body.get("messages")
        if not isinstance(messages, list):
            details.append({"message": "must be specified", "property": "messages"})
        elif not (1 <= len(messages) <= MESSAGES_MAX):
            details.append({"message": f"Size must be between 1 and {MESSAGES_MAX}", "property": "messages"})
        else:
            for index, message in enumerate(messages):
                details.extend(self._validate_message(message, f"messages[{index}]"))
        for extension in self.extensions.values():
            if hasattr(extension, "validate_send"):
                details.extend(extension.validate_send(endpoint, body))
        if details:
            raise ValidationFailed(f"The request body has {len(details)} error(s)", details)
        return recipients

    def _media_url_ok(self, value: Any) -> bool:
        """HTTPS only, at most 2,000 characters, as LINE requires of every media URL. The
        demo alone may name plain-HTTP prefixes it serves itself (``allow_http_media``)."""
        if not isinstance(value, str) or not value or len(value) > URL_MAX:
            return False
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return True
        return parts.scheme == "http" and any(value.startswith(prefix) for prefix in self.allow_http_media)

    def _text_errors(self, value: Any, prop: str, *, maximum: int, required: bool = True, utf16: bool = False) -> list[dict]:
        if value is None and not required:
            return []
        if not isinstance(value, str) or (required and not value):
            return [{"message": "must be specified", "property": prop}]
        length = len(value.encode("utf-16-le")) // 2 if utf16 else len(value)
        if length > maximum:
            return [{"message": f"Length must be between 0 and {maximum}", "property": prop}]
        return []

    def _url_errors(self, message: dict, keys: tuple[str, ...], where: str) -> list[dict]:
        errors = []
        for key in keys:
            if message.get(key) is None:
                errors.append({"message": "must be specified", "property": f"{where}.{key}"})
            elif not self._media_url_ok(message.get(key)):
                errors.append({"message": "must be a valid HTTPS URL", "property": f"{where}.{key}"})
        return errors

    def _validate_message(self, message: Any, where: str) -> list[dict]:
        if not isinstance(message, dict):
            return [{"message": "must be an object", "property": where}]
        kind = message.get("type")
        if kind not in KNOWN_MESSAGE_TYPES:
            return [{"message": "Invalid message type", "property": f"{where}.type"}]
        errors: list[dict] = []
        if kind == "text":
            # LINE counts a text's length in UTF-16 code units (an emoji outside the BMP is 2).
            errors += self._text_errors(message.get("text"), f"{where}.text", maximum=TEXT_MAX, utf16=True)
        elif kind in ("image", "video"):
            errors += self._url_errors(message, ("originalContentUrl", "previewImageUrl"), where)
        elif kind == "audio":
            errors += self._url_errors(message, ("originalContentUrl",), where)
            duration = message.get("duration")
            if not isinstance(duration, int) or isinstance(duration, bool) or duration < 1:
                errors.append({"message": "must be specified", "property": f"{where}.duration"})
        elif kind == "sticker":
            for key in ("packageId", "stickerId"):
                if not isinstance(message.get(key), str) or not message.get(key):
                    errors.append({"message": "must be specified", "property": f"{where}.{key}"})
        elif kind == "location":
            for key in ("title", "address"):
                errors += self._text_errors(message.get(key), f"{where}.{key}", maximum=LOCATION_TEXT_MAX)
            for key, bound in (("latitude", 90), ("longitude", 180)):
                value = message.get(key)
                if not isinstance(value, int | float) or isinstance(value, bool) or not (-bound <= value <= bound):
                    errors.append({"message": "must be specified", "property": f"{where}.{key}"})
        sender = message.get("sender")
        if sender is not None:
            if not isinstance(sender, dict):
                errors.append({"message": "must be an object", "property": f"{where}.sender"})
            else:
                errors += self._text_errors(sender.get("name"), f"{where}.sender.name", maximum=SENDER_NAME_MAX, required=False)
                if sender.get("iconUrl") is not None:
                    errors += self._url_errors(sender, ("iconUrl",), f"{where}.sender")
        quick = message.get("quickReply")
        if quick is not None:
            errors += self._validate_quick_reply(quick, f"{where}.quickReply")
        return errors

    def _validate_quick_reply(self, quick: Any, where: str) -> list[dict]:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not (1 <= len(items) <= QUICK_REPLY_MAX):
            return [{"message": f"Size must be between 1 and {QUICK_REPLY_MAX}", "property": f"{where}.items"}]
        errors: list[dict] = []
        for i, item in enumerate(items):
            prop = f"{where}.items[{i}]"
            if not isinstance(item, dict) or item.get("type", "action") != "action":
                errors.append({"message": "must be an action item", "property": f"{prop}.type"})
                continue
            if item.get("imageUrl") is not None:
                errors += self._url_errors(item, ("imageUrl",), prop)
            errors += self._validate_action(item.get("action"), f"{prop}.action")
        return errors

    def _validate_action(self, action: Any, prop: str) -> list[dict]:
        if not isinstance(action, dict) or not action.get("type"):
            return [{"message": "must be specified", "property": prop}]
        kind = action["type"]
        if kind not in QUICK_REPLY_ACTIONS:
            return [{"message": "Invalid action type", "property": f"{prop}.type"}]
        label_required = kind not in ("camera", "cameraRoll", "location")
        errors = self._text_errors(action.get("label"), f"{prop}.label", maximum=LABEL_MAX, required=label_required)
        if kind == "message":
            errors += self._text_errors(action.get("text"), f"{prop}.text", maximum=ACTION_TEXT_MAX)
        elif kind == "postback":
            errors += self._text_errors(action.get("data"), f"{prop}.data", maximum=ACTION_TEXT_MAX)
            for key in ("displayText", "text"):
                errors += self._text_errors(action.get(key), f"{prop}.{key}", maximum=ACTION_TEXT_MAX, required=False)
            if action.get("inputOption") is not None and action["inputOption"] not in POSTBACK_INPUT_OPTIONS:
                errors.append({"message": "Invalid input option", "property": f"{prop}.inputOption"})
        elif kind == "datetimepicker":
            errors += self._text_errors(action.get("data"), f"{prop}.data", maximum=ACTION_TEXT_MAX)
            if action.get("mode") not in DATETIME_MODES:
                errors.append({"message": "must be one of date, time, datetime", "property": f"{prop}.mode"})
        elif kind == "uri":
            uri = action.get("uri")
            errors += self._text_errors(uri, f"{prop}.uri", maximum=URI_ACTION_MAX)
            if isinstance(uri, str) and uri and urlsplit(uri).scheme not in URI_SCHEMES:
                errors.append({"message": "Invalid URI scheme", "property": f"{prop}.uri"})
        elif kind == "clipboard":
            errors += self._text_errors(action.get("clipboardText"), f"{prop}.clipboardText", maximum=1000)
        return errors

    # -- admin ------------------------------------------------------------------------------
    def admin(self, method: str, path: str, query: dict, raw: bytes) -> Response:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return Response(400, {"message": "invalid JSON"})
        route = (method, path)
        chat_answer = emulator_chat.admin(self, method, path, query, data, Response)
        if chat_answer is not None:
            return chat_answer
        if route == ("GET", "/_emulator/deliveries"):
            user_id = (query.get("user_id") or [""])[0]
            if user_id:
                return Response(200, {"user_id": user_id, "count": self.count(user_id), "messages": self.received(user_id)})
            return Response(200, self.summary())
        if route == ("GET", "/_emulator/summary"):
            return Response(200, self.summary())
        if route == ("GET", "/_emulator/counts"):
            with self.lock:
                return Response(200, dict(self.counts))
        if route == ("GET", "/_emulator/requests"):
            endpoint = (query.get("endpoint") or [None])[0]
            limit = int((query.get("limit") or ["1000"])[0])
            return Response(200, self.requests(endpoint)[-limit:])
        if route == ("POST", "/_emulator/reset"):
            self.reset()
            return Response(200, {})
        if route == ("GET", "/_emulator/faults"):
            return Response(200, self.faults.as_dict())
        if route == ("POST", "/_emulator/faults"):
            return Response(200, self.set_faults(**_fault_args(data)).as_dict())
        if route == ("POST", "/_emulator/limits"):
            self.set_limits(data)
            return Response(200, {k: list(v) for k, v in self.limits.items()})
        if route == ("POST", "/_emulator/content"):
            body = base64.b64decode(data["body_base64"]) if data.get("body_base64") else sample_jpeg(hash(data["message_id"]))
            self.add_content(data["message_id"], body, data.get("content_type") or "image/jpeg")
            return Response(200, {})
        if route == ("POST", "/_emulator/reply-tokens"):
            # one token ({"reply_token", "user_id"}) or many ({"tokens": {token: user_id}})
            tokens = data.get("tokens") or {data["reply_token"]: data["user_id"]}
            for token, user_id in tokens.items():
                self.add_reply_token(token, user_id)
            return Response(200, {})
        if route == ("POST", "/_emulator/expire-reply-tokens"):
            self.expire_reply_tokens()
            return Response(200, {})
        if route == ("POST", "/_emulator/profiles"):
            self.add_profile(data["user_id"], data["display_name"])
            return Response(200, {})
        for extension in self.extensions.values():
            answer = extension.admin(method, path, query, data)
            if answer is not None:
                return answer
        return Response(404, {"message": "Not found"})


def _fault_args(data: dict) -> dict:
    allowed = {"rate_429", "rate_500", "delay_rate", "delay_seconds", "retry_after", "limit", "endpoints"}
    return {k: v for k, v in data.items() if k in allowed}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stalls
    server_version = "line-emulator"
    sys_version = ""
    state: EmulatorState  # set on the subclass made by make_server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no user IDs in logs
        return

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path.startswith("/_emulator/"):
            response = self.state.admin(self.command, parts.path, parse_qs(parts.query), raw)
        else:
            response = self.state.handle(self.command, parts.path, self.headers, raw, parse_qs(parts.query))
        if response.delay:
            time.sleep(response.delay)
        if isinstance(response.body, bytes | bytearray):
            payload = bytes(response.body)
        else:
            payload = json.dumps(response.body if response.body is not None else {}, ensure_ascii=False).encode()
        try:
            self.send_response_only(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self._headers_buffer.append(b"\r\n" + payload)  # type: ignore[attr-defined]  # one write for headers and body
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = _dispatch
    do_POST = _dispatch
    do_DELETE = _dispatch


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def make_server(host: str = "127.0.0.1", port: int = 0, state: EmulatorState | None = None) -> EmulatorServer:
    """A server bound to ``host:port`` (0: a free port); ``server.state`` is its state."""
    state = state or EmulatorState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = EmulatorServer((host, port), handler)
    server.state = state  # type: ignore[attr-defined]
    return server


class RunningEmulator:
    """An emulator serving from a background thread (tests, benchmarks)."""

    def __init__(self, state: EmulatorState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = make_server(host, port, state)
        self.state: EmulatorState = self.server.state  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"  # type: ignore[str-bytes-safe]  # server_address holds a str host

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
