"""What the webhook accepts: a callback body LINE could have sent, checked before anything
is stored or parsed further.

Order (``webhook.parse_callback``): size (before reading further), signature (bytes,
constant time; ``webhook.signature_valid``), nesting depth (before ``json.loads``, here),
JSON, then each event's shape against ``webhook.yml`` and LINE's own limits (here).
Anything else is refused as a whole with ``WebhookRefused`` (a 4xx and a one-line reason,
never personal data): a body LINE would not send comes from someone else,
and keeping part of it would hide that.

Limits (LINE publishes no maximum body size or event count per request; it sends one or a
few events at a time): ``LINE_WEBHOOK_MAX_BODY_BYTES`` (default 1 MiB) and
``LINE_WEBHOOK_MAX_EVENTS`` (default 100). Field limits are LINE's: a text a resident can
send in LINE is at most 10,000 characters (the 5,000 limit is for what a bot sends), postback
data 300, sticker keywords 15 of ≤ 100, mentions 20; IDs have LINE's shapes
(``U``/``C``/``R`` + 32 lower-case hex).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

MAX_DEPTH = 16  # a LINE callback body nests 7 deep at most (body → events → event → message → mention → mentionees → item)
TEXT_MAX = 10_000  # what a resident can type in one LINE message
STRING_MAX = TEXT_MAX  # any other string field
LIST_MAX = 1_000  # any list inside an event (emojis of a long text, members of a join)
POSTBACK_DATA_MAX = 300
POSTBACK_PARAM_MAX = 100
STICKER_KEYWORDS_MAX = 15
STICKER_TEXT_MAX = 100
MENTIONEES_MAX = 20
EVENT_ID_MAX = 64  # a ULID (26); the column holds 64
REPLY_TOKEN_MAX = 256
SOURCE_ID_RE = {
    "userId": re.compile(r"^U[0-9a-f]{32}\Z"),
    "groupId": re.compile(r"^C[0-9a-f]{32}\Z"),
    "roomId": re.compile(r"^R[0-9a-f]{32}\Z"),
}
SOURCE_TYPES = {"user", "group", "room"}
MESSAGE_ID_RE = re.compile(r"^[0-9]{1,32}\Z")  # LINE's message IDs are numeric strings
MODES = {"active", "standby"}
# A JSON string (possessive: no backtracking), an unterminated quote, or a bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+"|"|[\[\]{}]', re.DOTALL)


class WebhookRefused(Exception):
    """The body is refused as a whole; ``status`` is the HTTP answer, ``reason`` says why
    in a few words (safe to log and return: it never quotes the body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def max_body_bytes() -> int:
    return int(getattr(settings, "LINE_WEBHOOK_MAX_BODY_BYTES", 1024 * 1024))


def max_events() -> int:
    return int(getattr(settings, "LINE_WEBHOOK_MAX_EVENTS", 100))


def nesting_depth_ok(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether no array/object in ``body`` nests deeper than ``limit``, found in one linear
    pass without parsing (strings skipped, so brackets inside them do not count). An
    unterminated string stops the scan: ``json.loads`` then refuses the body."""
    depth = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif token in (b"]", b"}"):
            depth -= 1
        elif token == b'"':
            return True
    return True


# -- one event against webhook.yml ------------------------------------------------------------
def _string(value: Any, *, maximum: int = STRING_MAX, required: bool = False) -> str | None:
    if value is None:
        return "missing" if required else None
    if not isinstance(value, str):
        return "must be a string"
    if required and not value:
        return "missing"
    if len(value) > maximum:
        return f"longer than {maximum} characters"
    return None


def _generic(value: Any) -> str | None:
    """Every string and list anywhere in an event stays within bounds. (The answer names no
    key: keys come from the sender and go into the log.)"""
    if isinstance(value, str):
        if len(value) > STRING_MAX:
            return f"a string longer than {STRING_MAX} characters"
        return _unstorable(value)
    if isinstance(value, list):
        if len(value) > LIST_MAX:
            return f"a list of more than {LIST_MAX} items"
        items: Any = value
    elif isinstance(value, dict):
        if any(not isinstance(key, str) or len(key) > 100 for key in value):
            return "a key longer than 100 characters"
        problem = next((p for p in map(_unstorable, value) if p), None)
        if problem:
            return problem
        items = value.values()
    else:
        return None
    for item in items:
        problem = _generic(item)
        if problem:
            return problem
    return None


def _unstorable(text: str) -> str | None:
    """LINE sends UTF-8: a lone surrogate (``"\\ud800"``, valid JSON) is no text either
    database can store, and PostgreSQL refuses NUL in text and jsonb."""
    if "\x00" in text:
        return "a string containing NUL"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a string that is not UTF-8 (lone surrogate)"
    return None


def _fields(obj: dict, rules: dict[str, dict]) -> str | None:
    for key, rule in rules.items():
        problem = _string(obj.get(key), **rule)
        if problem:
            return f"{key} {problem}"
    return None


def _source_problem(source: Any) -> str | None:
    if not isinstance(source, dict):
        return "source must be an object"
    if source.get("type") not in SOURCE_TYPES:
        return "source.type unknown"
    for key, pattern in SOURCE_ID_RE.items():
        value = source.get(key)
        if value is not None and not (isinstance(value, str) and pattern.match(value)):
            return f"source.{key} is not a LINE ID"
    if source["type"] == "user" and not source.get("userId"):
        return "source.userId missing"
    return None


def _message_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return "message must be an object"
    kind = message.get("type")
    problem = _fields(
        message, {"type": {"maximum": 32, "required": True}, "id": {"maximum": 64}, "quoteToken": {"maximum": REPLY_TOKEN_MAX}}
    )
    if problem:
        return f"message.{problem}"
    if message.get("id") is not None and not MESSAGE_ID_RE.match(message["id"]):
        return "message.id is not a LINE message ID"  # it goes into the content URL's path
    if kind == "text":
        problem = _string(message.get("text"), maximum=TEXT_MAX, required=True)
        if problem:
            return f"message.text {problem}"
        mention = message.get("mention")
        if mention is not None:
            mentionees = mention.get("mentionees") if isinstance(mention, dict) else None
            if not isinstance(mentionees, list) or len(mentionees) > MENTIONEES_MAX:
                return f"message.mention.mentionees: at most {MENTIONEES_MAX}"
        for key in ("emojis",):
            if message.get(key) is not None and not isinstance(message[key], list):
                return f"message.{key} must be a list"
    elif kind == "location":
        for key, bound in (("latitude", 90), ("longitude", 180)):
            value = message.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool) or not (-bound <= value <= bound):
                return f"message.{key} out of range"
        problem = _fields(message, {"title": {"maximum": 1000}, "address": {"maximum": 1000}})
        if problem:
            return f"message.{problem}"
    elif kind == "sticker":
        keywords = message.get("keywords")
        if keywords is not None and (
            not isinstance(keywords, list)
            or len(keywords) > STICKER_KEYWORDS_MAX
            or any(_string(k, maximum=STICKER_TEXT_MAX) for k in keywords)
        ):
            return f"message.keywords: at most {STICKER_KEYWORDS_MAX} of ≤ {STICKER_TEXT_MAX} characters"
        problem = _fields(
            message, {"text": {"maximum": STICKER_TEXT_MAX}, "packageId": {"maximum": 64}, "stickerId": {"maximum": 64}}
        )
        if problem:
            return f"message.{problem}"
    for key in ("contentProvider", "imageSet", "mention"):
        if message.get(key) is not None and not isinstance(message[key], dict):
            return f"message.{key} must be an object"
    return None


def _postback_problem(postback: Any) -> str | None:
    if not isinstance(postback, dict):
        return "postback must be an object"
    problem = _string(postback.get("data"), maximum=POSTBACK_DATA_MAX, required=False)
    if problem:
        return f"postback.data {problem}"
    params = postback.get("params")
    if params is not None:
        if not isinstance(params, dict):
            return "postback.params must be an object"
        if any(_string(value, maximum=POSTBACK_PARAM_MAX) for value in params.values()):
            return f"postback.params: strings of ≤ {POSTBACK_PARAM_MAX} characters"
    return None


def event_problem(event: Any) -> str | None:
    """Why ``event`` is not one LINE would send (``None`` when it could be)."""
    if not isinstance(event, dict):
        return "not an object"
    problem = _fields(
        event,
        {
            "type": {"maximum": 32, "required": True},
            "webhookEventId": {"maximum": EVENT_ID_MAX, "required": True},
            "replyToken": {"maximum": REPLY_TOKEN_MAX},
        },
    )
    if problem:
        return problem
    timestamp = event.get("timestamp")
    if timestamp is not None and (not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp < 10**14):
        return "timestamp must be milliseconds"
    if event.get("mode") is not None and event["mode"] not in MODES:
        return "mode unknown"
    context = event.get("deliveryContext")
    if context is not None and not (isinstance(context, dict) and isinstance(context.get("isRedelivery", False), bool)):
        return "deliveryContext.isRedelivery must be a boolean"
    if "source" in event:
        problem = _source_problem(event["source"])
        if problem:
            return problem
    if event["type"] == "message":
        problem = _message_problem(event.get("message"))
    elif event["type"] == "postback":
        problem = _postback_problem(event.get("postback"))
    if problem:
        return problem
    for key in ("follow", "unfollow", "joined", "left", "link", "beacon", "things", "unsend", "videoPlayComplete", "membership"):
        if event.get(key) is not None and not isinstance(event[key], dict):
            return f"{key} must be an object"
    return _generic(event)
