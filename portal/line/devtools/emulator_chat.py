"""The emulator's chat endpoints (``messaging-api.yml``): ``POST /v2/bot/chat/markAsRead``
(``markAsReadToken`` from a webhook message event the emulator saw delivered; 200, or 400 for
a token it never issued) and ``POST /v2/bot/chat/loading/start`` (``chatId`` a user ID,
``loadingSeconds`` 5–60 in steps of 5, default 20; 202). Both are recorded, so tests can
assert "marked read" and "the loading animation was shown".

Tokens are registered like reply tokens: the simulator and the ``line_resident`` fixture
register each message event's ``markAsReadToken`` (``POST /_emulator/read-tokens``).
Hooked into ``emulator.py`` by ``ROUTES``, ``handle``, ``admin`` and ``reset``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import EmulatorState, Response

ROUTES = {"/v2/bot/chat/markAsRead": "markAsRead", "/v2/bot/chat/loading/start": "loading"}
LIMITS: dict[str, tuple[int, float]] = {"markAsRead": (2000, 1.0), "loading": (2000, 1.0)}
LOADING_DEFAULT = 20


def reset(state: EmulatorState) -> None:
    state.read_tokens = {}  # type: ignore[attr-defined]  # token -> (user id, order issued)
    state.read_marks = []  # type: ignore[attr-defined]  # {"user_id", "token", "at"}
    state.loadings = []  # type: ignore[attr-defined]  # {"user_id", "seconds", "at"}


def add_read_token(state: EmulatorState, token: str, user_id: str) -> None:
    with state.lock:
        tokens = state.read_tokens  # type: ignore[attr-defined]
        tokens[token] = (user_id, len(tokens))


def read_marks(state: EmulatorState, user_id: str | None = None) -> list[dict]:
    with state.lock:
        return [dict(m) for m in state.read_marks if user_id is None or m["user_id"] == user_id]  # type: ignore[attr-defined]


def is_read(state: EmulatorState, token: str) -> bool:
    """Whether the message that carried ``token`` is read: that token, or a later one of the
    same user's, was used (LINE marks the message and every earlier one read)."""
    with state.lock:
        issued = state.read_tokens.get(token)  # type: ignore[attr-defined]
        if issued is None:
            return False
        user, order = issued
        return any(
            m["user_id"] == user and state.read_tokens[m["token"]][1] >= order  # type: ignore[attr-defined]
            for m in state.read_marks  # type: ignore[attr-defined]
        )


def loadings(state: EmulatorState, user_id: str | None = None) -> list[dict]:
    with state.lock:
        return [dict(m) for m in state.loadings if user_id is None or m["user_id"] == user_id]  # type: ignore[attr-defined]


def _error(message: str, details: list[dict] | None = None) -> dict:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return body


def handle(state: EmulatorState, endpoint: str, raw: bytes, request_id: str, response: type[Response]) -> Response:
    """One chat request, after the emulator checked the channel access token."""
    from .emulator import USER_ID_RE

    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return response(400, _error("The request body could not be parsed as JSON"))
    if not isinstance(body, dict):
        state._log(endpoint, request_id, "", body, 400)
        return response(400, _error("The request body has 1 error(s)", [{"message": "must be an object", "property": ""}]))
    with state.lock:
        state.endpoint_counts[endpoint] += 1
        if state._rate_limited(endpoint, time.monotonic()):
            state._log_locked(endpoint, request_id, "", body, 429)
            return response(429, _error("The API rate limit has been exceeded. Try again later."))
    if endpoint == "markAsRead":
        token = body.get("markAsReadToken")
        if not isinstance(token, str) or not token:
            state._log(endpoint, request_id, "", body, 400)
            return response(
                400, _error("The request body has 1 error(s)", [{"message": "must be specified", "property": "markAsReadToken"}])
            )
        with state.lock:
            issued = state.read_tokens.get(token)  # type: ignore[attr-defined]
            if issued is None:
                state._log_locked(endpoint, request_id, "", body, 400)
                return response(400, _error("Invalid markAsReadToken"))
            state.read_marks.append({"user_id": issued[0], "token": token, "at": time.time()})  # type: ignore[attr-defined]
            state._log_locked(endpoint, request_id, "", body, 200)
        return response(200, {})
    chat_id = body.get("chatId")
    seconds = body.get("loadingSeconds", LOADING_DEFAULT)
    details = []
    if not isinstance(chat_id, str) or not chat_id:
        details.append({"message": "must be specified", "property": "chatId"})
    elif not USER_ID_RE.match(chat_id):
        details.append({"message": "The value for the 'chatId' parameter is invalid", "property": "chatId"})
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not (5 <= seconds <= 60) or seconds % 5:
        details.append({"message": "must be a multiple of 5 between 5 and 60", "property": "loadingSeconds"})
    if details:
        state._log(endpoint, request_id, "", body, 400)
        return response(400, _error(f"The request body has {len(details)} error(s)", details))
    with state.lock:
        state.loadings.append({"user_id": chat_id, "seconds": seconds, "at": time.time()})  # type: ignore[attr-defined]
        state._log_locked(endpoint, request_id, "", body, 202)
    return response(202, {})


def admin(state: EmulatorState, method: str, path: str, query: dict, data: dict, response: type[Response]) -> Response | None:
    """``POST /_emulator/read-tokens`` (``{"token", "user_id"}`` or ``{"tokens": {token: user_id}}``),
    ``GET /_emulator/read-marks?user_id=``, ``GET /_emulator/loadings?user_id=``; None for other paths."""
    route = (method, path)
    if route == ("POST", "/_emulator/read-tokens"):
        tokens = data.get("tokens") or {data["token"]: data["user_id"]}
        for token, user_id in tokens.items():
            add_read_token(state, token, user_id)
        return response(200, {})
    user_id = (query.get("user_id") or [None])[0]
    if route == ("GET", "/_emulator/read-marks"):
        return response(200, read_marks(state, user_id))
    if route == ("GET", "/_emulator/loadings"):
        return response(200, loadings(state, user_id))
    return None
