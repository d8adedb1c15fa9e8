"""Rich menus on LINE: create, upload the image, default, aliases, per-user and bulk links,
batch control — each call takes a token from its shared bucket first (``ratelimit.py``,
rates in ``settings.LINE_RATE_LIMITS``, set under LINE's published limits).

LINE's rules a menu must meet are constants here (the feature turns them into staff's
words); the postbacks a tap area may send to a chat flow are registered here by the flows'
owners (``register_postback``), so staff choose 「道路の通報」 and never type ``flow=road``.

Calls raise ``LineRateLimited`` (429, or no token within ``max_wait``: try later),
``LineTemporaryError`` (5xx, timeout) or ``LineRejected`` (LINE refused the request: its
message and details).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.functional import Promise

from . import chat, client, ratelimit
from .errors import LineRateLimited

# -- LINE's rules (Messaging API reference: rich menu object, image requirements) ----------
IMAGE_TYPES = ("image/jpeg", "image/png")
IMAGE_MAX_BYTES = 1024 * 1024  # 1 MB
WIDTH_MIN, WIDTH_MAX = 800, 2500
HEIGHT_MIN = 250
ASPECT_MIN = 1.45  # width / height
AREAS_MAX = 20
NAME_MAX = 300
CHAT_BAR_MAX = 14
ACTION_LABEL_MAX = 20
ACTION_DATA_MAX = 300
MESSAGE_TEXT_MAX = 300
URI_MAX = 1000
ALIAS_PATTERN = r"^[a-z0-9_-]{1,32}$"
BULK_MAX = 500  # user IDs per bulk link / unlink request
BATCH_OPERATIONS_MAX = 1000

# Bucket of each kind of call (``settings.LINE_RATE_LIMITS``).
BUCKET_CREATE = "richmenu_create"
BUCKET_DELETE = "richmenu_delete"
BUCKET_ALIAS_DELETE = "richmenu_alias_delete"
BUCKET_BULK_LINK = "richmenu_bulk_link"
BUCKET_BULK_UNLINK = "richmenu_bulk_unlink"
BUCKET_BATCH = "richmenu_batch"
BUCKET_OTHER = "richmenu"


def _take(bucket: str, max_wait: float | None) -> None:
    granted, wait = ratelimit.reserve(bucket, max_wait=-1 if max_wait is None else float(max_wait))
    if not granted:
        raise LineRateLimited(f"rate limit of {bucket}", retry_after=wait)
    if wait > 0:
        import time

        time.sleep(wait)


def _id(value: str) -> str:
    return quote(str(value), safe="")


# -- menus ----------------------------------------------------------------------------------
def validate(*, menu: dict, max_wait: float | None = 5.0) -> None:
    """Ask LINE whether ``menu`` (a rich menu object) is valid, without creating it."""
    _take(BUCKET_OTHER, max_wait)
    client.richmenu_request("POST", "/v2/bot/richmenu/validate", body=menu)


def create(*, menu: dict, max_wait: float | None = 5.0) -> str:
    """Create the rich menu (no image yet); its ``richMenuId``."""
    _take(BUCKET_CREATE, max_wait)
    data, _headers = client.richmenu_request("POST", "/v2/bot/richmenu", body=menu)
    return str(data["richMenuId"])


def upload_image(*, rich_menu_id: str, content: bytes, content_type: str, max_wait: float | None = 5.0) -> None:
    """Attach the image (JPEG or PNG, as checked by the feature) to a created menu."""
    _take(BUCKET_OTHER, max_wait)
    client.richmenu_request(
        "POST", f"/v2/bot/richmenu/{_id(rich_menu_id)}/content", content=content, content_type=content_type, data_host=True
    )


def delete(*, rich_menu_id: str, max_wait: float | None = 5.0) -> None:
    _take(BUCKET_DELETE, max_wait)
    client.richmenu_request("DELETE", f"/v2/bot/richmenu/{_id(rich_menu_id)}")


def get(*, rich_menu_id: str) -> dict:
    _take(BUCKET_OTHER, 5.0)
    data, _headers = client.richmenu_request("GET", f"/v2/bot/richmenu/{_id(rich_menu_id)}")
    return data


def menus() -> list[dict]:
    """Every rich menu of the channel, as LINE lists them."""
    _take(BUCKET_OTHER, 5.0)
    data, _headers = client.richmenu_request("GET", "/v2/bot/richmenu/list")
    return list(data.get("richmenus") or [])


# -- the default menu ------------------------------------------------------------------------
def set_default(*, rich_menu_id: str, max_wait: float | None = 5.0) -> None:
    """Every friend without a menu of their own sees this one."""
    _take(BUCKET_OTHER, max_wait)
    client.richmenu_request("POST", f"/v2/bot/user/all/richmenu/{_id(rich_menu_id)}")


def default_id() -> str | None:
    """The default menu's ID, or None when none is set (LINE answers 404)."""
    from .errors import LineRejected

    _take(BUCKET_OTHER, 5.0)
    try:
        data, _headers = client.richmenu_request("GET", "/v2/bot/user/all/richmenu")
    except LineRejected as exc:
        if exc.status == 404:
            return None
        raise
    return str(data.get("richMenuId") or "") or None


def cancel_default() -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("DELETE", "/v2/bot/user/all/richmenu")


# -- aliases (what a richmenuswitch action names) -------------------------------------------
def alias_create(*, alias_id: str, rich_menu_id: str) -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("POST", "/v2/bot/richmenu/alias", body={"richMenuAliasId": alias_id, "richMenuId": rich_menu_id})


def alias_update(*, alias_id: str, rich_menu_id: str) -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("POST", f"/v2/bot/richmenu/alias/{_id(alias_id)}", body={"richMenuId": rich_menu_id})


def alias_delete(*, alias_id: str) -> None:
    _take(BUCKET_ALIAS_DELETE, 5.0)
    client.richmenu_request("DELETE", f"/v2/bot/richmenu/alias/{_id(alias_id)}")


def aliases() -> list[dict]:
    _take(BUCKET_OTHER, 5.0)
    data, _headers = client.richmenu_request("GET", "/v2/bot/richmenu/alias/list")
    return list(data.get("aliases") or [])


# -- per-user links ---------------------------------------------------------------------------
def link_user(*, user_id: str, rich_menu_id: str) -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("POST", f"/v2/bot/user/{_id(user_id)}/richmenu/{_id(rich_menu_id)}")


def unlink_user(*, user_id: str) -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("DELETE", f"/v2/bot/user/{_id(user_id)}/richmenu")


def bulk_link(*, user_ids: Sequence[str], rich_menu_id: str, max_wait: float | None = 2.0) -> None:
    """Link one menu to 1–500 users (LINE applies it asynchronously: 202)."""
    _take(BUCKET_BULK_LINK, max_wait)
    client.richmenu_request("POST", "/v2/bot/richmenu/bulk/link", body={"richMenuId": rich_menu_id, "userIds": list(user_ids)})


def bulk_unlink(*, user_ids: Sequence[str], max_wait: float | None = 2.0) -> None:
    """Remove the menus linked to 1–500 users (they see the default menu again)."""
    _take(BUCKET_BULK_UNLINK, max_wait)
    client.richmenu_request("POST", "/v2/bot/richmenu/bulk/unlink", body={"userIds": list(user_ids)})


# -- batch control (replace / unlink every user linked to a menu) -----------------------------
def batch(*, operations: list[dict], resume_request_key: str | None = None, max_wait: float | None = 2.0) -> str:
    """Start a batch (asynchronous on LINE's side); the request ID its progress is asked by."""
    body: dict = {"operations": operations}
    if resume_request_key:
        body["resumeRequestKey"] = resume_request_key
    _take(BUCKET_BATCH, max_wait)
    _data, headers = client.richmenu_request("POST", "/v2/bot/richmenu/batch", body=body)
    return str(headers.get("x-line-request-id") or headers.get("X-Line-Request-Id") or "")


def batch_validate(*, operations: list[dict]) -> None:
    _take(BUCKET_OTHER, 5.0)
    client.richmenu_request("POST", "/v2/bot/richmenu/validate/batch", body={"operations": operations})


def batch_progress(*, request_id: str) -> dict:
    """``{"phase": "ongoing" | "succeeded" | "failed", "acceptedTime", "completedTime"?}``."""
    _take(BUCKET_OTHER, 5.0)
    data, _headers = client.richmenu_request("GET", "/v2/bot/richmenu/progress/batch", query={"requestId": request_id})
    return data


# -- how long LINE will take ----------------------------------------------------------------
def seconds_for(*, bucket: str, requests: int) -> float:
    """Seconds the shared bucket needs to let ``requests`` calls through, from empty
    history (the first ``burst`` go at once, the rest at the bucket's rate)."""
    if requests <= 0:
        return 0.0
    rate = ratelimit.rate_for(bucket)
    return max(0.0, requests - rate.burst) / rate.rate


def bulk_requests(users: int) -> int:
    """Bulk requests needed for ``users`` user IDs (500 a request)."""
    return math.ceil(max(0, users) / BULK_MAX)


# -- postbacks a tap area may send to a chat flow --------------------------------------------
@dataclass(frozen=True)
class MenuPostback:
    key: str  # stable, stored with the tap area
    label: str | Promise  # staff's words (「道路の通報」)
    data: str  # the postback data the flow answers to
    display_text: str | Promise = ""  # what the resident's chat shows when tapped


_postbacks: dict[str, MenuPostback] = {}


def register_postback(*, key: str, label: str | Promise, data: str, display_text: str | Promise = "") -> None:
    """A flow's owner offers one of its postbacks to rich menus (from ``AppConfig.ready()``)."""
    _postbacks.setdefault(key, MenuPostback(key=key, label=label, data=data, display_text=display_text))


def _answered(data: str) -> bool:
    event = chat.ChatEvent(kind="postback", postback_data=data)
    return any(flow.matches(event) for flow in chat.flows())


def postbacks() -> list[MenuPostback]:
    """The registered postbacks a registered chat flow answers (in registration order)."""
    return [entry for entry in _postbacks.values() if _answered(entry.data)]


def postback(key: str) -> MenuPostback | None:
    entry = _postbacks.get(key)
    return entry if entry is not None and _answered(entry.data) else None


def postback_for_data(data: str) -> MenuPostback | None:
    return next((entry for entry in _postbacks.values() if entry.data == data), None)


def chunks(items: Iterable[str], size: int = BULK_MAX) -> list[list[str]]:
    """``items`` in lists of at most ``size`` (500: one bulk request each)."""
    out: list[list[str]] = []
    current: list[str] = []
    for item in items:
        current.append(item)
        if len(current) == size:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
