"""The one LINE Messaging API client (line-bot-sdk v3), configured from settings.

Every call to the LINE platform goes through this module; the SDK's exceptions are
translated into ``LineRateLimited`` (429), ``LineTemporaryError`` (5xx, timeouts, refused
connections) and ``LineRejected`` (other 4xx). A 409 on a request that carried an
``X-Line-Retry-Key`` means LINE already accepted that key: it is returned as
``SendResult(duplicate=True)``, never raised. The error types live in ``errors.py`` (features
catch them without importing the SDK); they are re-exported here.

Error messages carry LINE's message and the HTTP status only, never recipients.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import urllib3
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    BroadcastRequest,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from pydantic.v1 import ValidationError

from .errors import LineError, LineRateLimited, LineRejected, LineTemporaryError, SendResult

__all__ = ["LineError", "LineRateLimited", "LineRejected", "LineTemporaryError", "SendResult"]


# -- SDK clients, one pair per process and configuration --------------------------------
# Connection pools only (no application state); keyed by pid so a forked Celery child never
# reuses its parent's sockets.
_clients: dict[tuple, tuple[ApiClient, ApiClient]] = {}
_clients_lock = threading.Lock()


def _api_clients() -> tuple[ApiClient, ApiClient]:
    key = (
        os.getpid(),
        settings.LINE_API_BASE_URL,
        settings.LINE_API_DATA_BASE_URL,
        settings.LINE_CHANNEL_ACCESS_TOKEN,
    )
    clients = _clients.get(key)
    if clients is None:
        with _clients_lock:
            clients = _clients.get(key)
            if clients is None:
                pair = []
                for host in (settings.LINE_API_BASE_URL, settings.LINE_API_DATA_BASE_URL):
                    config = Configuration(host=host.rstrip("/"), access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
                    # Retrying is ours to decide (with the retry key): urllib3 only retries a
                    # connection that could not be opened, never a sent request.
                    config.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0)
                    config.connection_pool_maxsize = 16
                    pair.append(ApiClient(config))
                clients = (pair[0], pair[1])
                _clients[key] = clients
    return clients


def _timeout(timeout: float | None = None) -> float:
    """``LINE_REQUEST_TIMEOUT``, or a caller's shorter one (the fan-out's lease is built on it)."""
    default = float(settings.LINE_REQUEST_TIMEOUT)
    return min(default, float(timeout)) if timeout else default


def _retry_key(value: str | UUID | None) -> str | None:
    if value is None or value == "":
        return None
    return str(value if isinstance(value, UUID) else UUID(str(value)))


def _header(headers: Any, name: str) -> str:
    if not headers:
        return ""
    try:
        return headers.get(name) or headers.get(name.lower()) or ""
    except AttributeError:
        return ""


def _parse_error_body(body: Any) -> tuple[str, list, dict]:
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return str(data.get("message", "")), list(data.get("details") or []), data


def _translate(exc: Exception, *, retry_key: str | None = None) -> SendResult:
    """Raise the matching LineError for ``exc``; return a duplicate SendResult for a 409
    on a request that carried a retry key."""
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        message, details, _data = _parse_error_body(exc.body)
        headers = exc.headers
        if status == 409 and retry_key:
            return SendResult(
                request_id=_header(headers, "x-line-request-id"),
                duplicate=True,
                accepted_request_id=_header(headers, "x-line-accepted-request-id"),
            )
        if status == 429:
            retry_after = _header(headers, "Retry-After")
            try:
                seconds = float(retry_after) if retry_after else None
            except ValueError:
                seconds = None
            raise LineRateLimited(message or "rate limited", retry_after=seconds) from None
        if status == 0 or status >= 500:
            raise LineTemporaryError(message or f"LINE answered {status or 'no response'}", status=status or None) from None
        raise LineRejected(status, message or str(exc.reason or ""), details) from None
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | TimeoutError):
        raise LineTemporaryError(f"LINE unreachable or too slow: {type(exc).__name__}") from None
    raise exc


def _send(call: Callable[..., Any], request_model: Any, retry_key: str | None, timeout: float | None = None) -> SendResult:
    try:
        response = call(request_model, x_line_retry_key=retry_key, _request_timeout=_timeout(timeout))
    except Exception as exc:  # noqa: BLE001 - translated below
        return _translate(exc, retry_key=retry_key)
    return SendResult(request_id=_header(response.headers, "x-line-request-id"))


MULTICAST_MAX = 500

# The Messaging API's answer types of a send endpoint (as in the SDK's generated methods).
_SEND_RESPONSE_TYPES = {"200": "object", "400": "ErrorResponse", "403": "ErrorResponse", "409": "ErrorResponse",
                        "429": "ErrorResponse"}  # fmt: skip


def _call_api(
    api_client: ApiClient,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: Any,
    response_types: dict[str, str],
    timeout: float | None,
) -> Any:
    """One request through the SDK's ApiClient, as its generated methods make it (Bearer
    auth, the whole answer with its headers, the call's timeout)."""
    return api_client.call_api(
        path,
        method,
        {},
        query,
        headers,
        body=body,
        post_params=[],
        files={},
        response_types_map=response_types,
        auth_settings=["Bearer"],
        _return_http_data_only=False,
        _preload_content=True,
        _request_timeout=_timeout(timeout),
        collection_formats={},
    )


def _post(api_client: ApiClient, path: str, body: dict, retry_key: str | None, timeout: float | None = None) -> SendResult:
    """POST an already validated JSON body through the SDK's ApiClient (its auth, headers,
    connection pool and ApiException), without building the request model again."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if retry_key:
        headers["X-Line-Retry-Key"] = retry_key
    try:
        response = _call_api(api_client, "POST", path, [], headers, body, _SEND_RESPONSE_TYPES, timeout)
    except Exception as exc:  # noqa: BLE001 - translated below
        return _translate(exc, retry_key=retry_key)
    return SendResult(request_id=_header(response.headers, "x-line-request-id"))


def _messages_payload(messages: list[dict]) -> list[dict]:
    return list(messages)


def _build(model: Any, data: dict) -> Any:
    """The SDK's request model; its own schema checks (e.g. more than 500 recipients)
    become ``LineRejected(400)`` shaped like LINE's answer."""
    try:
        return model.from_dict(data)
    except ValidationError as exc:
        details = [{"message": error["msg"], "property": ".".join(str(part) for part in error["loc"])} for error in exc.errors()]
        raise LineRejected(400, f"The request body has {len(details)} error(s)", details) from None


def push(*, to: str, messages: list[dict], retry_key: str | UUID | None = None) -> SendResult:
    """Push ``messages`` to one user."""
    api = MessagingApi(_api_clients()[0])
    request = _build(PushMessageRequest, {"to": to, "messages": _messages_payload(messages)})
    return _send(api.push_message_with_http_info, request, _retry_key(retry_key))


def multicast(
    *,
    to: list[str],
    messages: list[dict],
    retry_key: str | UUID | None = None,
    timeout: float | None = None,
    aggregation_unit: str | None = None,
) -> SendResult:
    """Send ``messages`` to 1–500 users in one request (``timeout``: shorter than the default;
    ``aggregation_unit``: LINE's ``customAggregationUnits`` name, ≤ 30 of [a-zA-Z0-9_], whose
    statistics ``insights.unit_statistics`` reads)."""
    to = list(to)
    payload = _messages_payload(messages)
    if not (1 <= len(to) <= MULTICAST_MAX) or not all(type(uid) is str for uid in to):
        _build(MulticastRequest, {"to": to, "messages": payload})  # raises LINE's 400 shape
    # The SDK's model checks the messages (validated on a one-recipient request: building a
    # pydantic model of 500 ids cost about a third of a fan-out batch's CPU); the SDK's
    # ApiClient then sends the already-checked plain body.
    extra = {"customAggregationUnits": [aggregation_unit]} if aggregation_unit else {}
    _build(MulticastRequest, {"to": to[:1], "messages": payload, **extra})
    body = {"to": to, "messages": payload, **extra}
    return _post(_api_clients()[0], "/v2/bot/message/multicast", body, _retry_key(retry_key), timeout)


def broadcast(*, messages: list[dict], retry_key: str | UUID | None = None, timeout: float | None = None) -> SendResult:
    """Send ``messages`` to every friend of the account (``timeout``: shorter than the default)."""
    api = MessagingApi(_api_clients()[0])
    request = _build(BroadcastRequest, {"messages": _messages_payload(messages)})
    return _send(api.broadcast_with_http_info, request, _retry_key(retry_key), timeout)


def reply(*, reply_token: str, messages: list[dict]) -> None:
    """Reply with the webhook event's reply token (single use, valid for a short time).
    An expired or used token raises ``LineRejected`` (400); callers push instead.

    Sent as a plain body through the SDK's ApiClient, without the SDK's request and answer
    models: replies are the chat's hot path (one per event), building and checking the
    pydantic models cost about a third of a webhook worker's CPU (py-spy), and LINE checks
    the body anyway (a refused one raises ``LineRejected`` with LINE's details, as any 4xx)."""
    _post(_api_clients()[0], "/v2/bot/message/reply", {"replyToken": reply_token, "messages": _messages_payload(messages)}, None)


def get_profile(*, user_id: str) -> dict:
    """``{"displayName": ..., "userId": ...}`` (plus pictureUrl etc. when LINE has them)."""
    api = MessagingApi(_api_clients()[0])
    try:
        response = api.get_profile_with_http_info(user_id, _request_timeout=_timeout())
    except Exception as exc:
        _translate(exc)
        raise  # unreachable: _translate raises for every non-409 error
    return response.data.to_dict()


def get_message_content(*, message_id: str) -> tuple[bytes, str]:
    """The bytes a user sent (image, video, audio, file) and their content type."""
    api = MessagingApiBlob(_api_clients()[1])
    try:
        response = api.get_message_content_with_http_info(message_id, _request_timeout=_timeout())
    except Exception as exc:
        _translate(exc)
        raise
    content_type = _header(response.headers, "Content-Type") or "application/octet-stream"
    return bytes(response.data or b""), content_type.split(";")[0].strip()


def mark_as_read(*, mark_as_read_token: str) -> None:
    """Mark a user's messages as read, up to the message whose webhook event carried
    ``mark_as_read_token`` (``POST /v2/bot/chat/markAsRead``). An unknown token → ``LineRejected``."""
    api = MessagingApi(_api_clients()[0])
    request = _build(MarkMessagesAsReadByTokenRequest, {"markAsReadToken": mark_as_read_token})
    try:
        api.mark_messages_as_read_by_token_with_http_info(request, _request_timeout=_timeout())
    except Exception as exc:  # noqa: BLE001 - translated below
        _translate(exc)


def show_loading(*, chat_id: str, seconds: int) -> None:
    """Show the loading animation in a one-on-one chat for ``seconds`` (5–60, a multiple of 5;
    it ends sooner when the bot's next message arrives): ``POST /v2/bot/chat/loading/start``."""
    api = MessagingApi(_api_clients()[0])
    request = _build(ShowLoadingAnimationRequest, {"chatId": chat_id, "loadingSeconds": seconds})
    try:
        api.show_loading_animation_with_http_info(request, _request_timeout=_timeout())
    except Exception as exc:  # noqa: BLE001 - translated below
        _translate(exc)


def new_retry_key() -> str:
    return str(uuid.uuid4())


# -- rich menus (portal/line/richmenus.py is their public face) -------------------------
_RICHMENU_RESPONSE_TYPES = {"200": "object", "202": "object"}


def richmenu_request(
    method: str,
    path: str,
    *,
    body: dict | None = None,
    content: bytes | None = None,
    content_type: str = "application/json",
    query: dict[str, str] | None = None,
    data_host: bool = False,
    timeout: float | None = None,
) -> tuple[Any, dict]:
    """One rich-menu call through the SDK's ApiClient (its auth, pool and ApiException):
    JSON ``body``, or raw ``content`` (the image upload, on the data host). Returns the
    answer's JSON (``{}`` when LINE answers with none) and its headers; errors as the
    other calls raise them (``LineRejected`` for a 4xx with LINE's message and details)."""
    api_client = _api_clients()[1 if data_host else 0]
    headers = {"Accept": "application/json", "Content-Type": content_type}
    payload: Any = content if content is not None else body
    try:
        response = _call_api(
            api_client, method, path, list((query or {}).items()), headers, payload, _RICHMENU_RESPONSE_TYPES, timeout
        )
    except Exception as exc:
        _translate(exc)
        raise  # unreachable: _translate raises for every non-409 error without a retry key
    data = response.data if isinstance(response.data, dict) else {}
    return data, dict(response.headers or {})


# -- insight (portal/line/insights.py is their public face) ------------------------------


def insight_get(path: str, *, query: dict[str, str] | None = None, timeout: float | None = None) -> dict:
    """One ``GET /v2/bot/insight/...`` call through the SDK's ApiClient; LINE's JSON answer
    (``{}`` when none). Errors as the other calls raise them (429 → ``LineRateLimited``)."""
    data, _headers = richmenu_request("GET", path, query=query, timeout=timeout)
    return data
