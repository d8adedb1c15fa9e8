"""The emulator's rich-menu endpoints (``messaging-api.yml``: RichMenu, Default RichMenu,
RichMenu Alias, User RichMenu, batch control), as strict as LINE.

- ``POST /v2/bot/richmenu`` (create) and ``/v2/bot/richmenu/validate``: the rich menu
  object's schema (size 800–2,500 × ≥ 250 px, width/height ≥ 1.45; ``selected``; ``name``
  1–300; ``chatBarText`` 1–14; 1–20 areas inside the menu; each action of a kind a rich menu
  takes, with its required fields and lengths; ``richmenuswitch`` alias IDs of LINE's
  pattern). Errors in LINE's shape (``message`` + ``details[{message, property}]``).
- ``POST /v2/bot/richmenu/{id}/content`` (the data host's path): JPEG or PNG, ≤ 1 MB, of the
  menu's exact size, once per menu.
- ``GET /v2/bot/richmenu/{id}``, ``GET /v2/bot/richmenu/list``, ``DELETE /v2/bot/richmenu/{id}``.
- default menu: ``POST /v2/bot/user/all/richmenu/{id}``, ``GET`` / ``DELETE /v2/bot/user/all/richmenu``.
- aliases: ``POST /v2/bot/richmenu/alias`` (create), ``POST|GET|DELETE /v2/bot/richmenu/alias/{aliasId}``,
  ``GET /v2/bot/richmenu/alias/list``.
- per user: ``POST /v2/bot/user/{userId}/richmenu/{id}``, ``GET|DELETE /v2/bot/user/{userId}/richmenu``;
  ``POST /v2/bot/richmenu/bulk/link`` / ``bulk/unlink`` (1–500 user IDs, 202).
- batch control: ``POST /v2/bot/richmenu/batch`` (202), ``/v2/bot/richmenu/validate/batch``,
  ``GET /v2/bot/richmenu/progress/batch?requestId=``.

A menu must have its image before it is set as default, linked or aliased (LINE refuses).
Rate limits (sliding windows, ``LIMITS``): create, delete and alias delete 100 an hour;
batch 3 an hour; bulk link and bulk unlink 3 a second each; the rest 2,000 a second. Injected
429s and 500s (``set_faults``) reach these endpoints when named by their bucket
(``endpoints=["richmenu"]``: the per-user link and the other small calls).

The record tests read: ``menu_for(user_id)`` — the menu a user sees (their own link, else
the default) — and ``summary()``; over HTTP ``GET /_emulator/richmenus`` and
``GET /_emulator/richmenus/user?user_id=``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from typing import Any, TypeGuard
from urllib.parse import unquote

from .emulator import USER_ID_RE, Response

LIMITS: dict[str, tuple[int, float]] = {
    "richmenu_create": (100, 3600.0),
    "richmenu_delete": (100, 3600.0),
    "richmenu_alias_delete": (100, 3600.0),
    "richmenu_bulk_link": (3, 1.0),
    "richmenu_bulk_unlink": (3, 1.0),
    "richmenu_batch": (3, 3600.0),
    "richmenu": (2000, 1.0),
}

WIDTH_MIN, WIDTH_MAX, HEIGHT_MIN, ASPECT_MIN = 800, 2500, 250, 1.45
AREAS_MAX = 20
IMAGE_MAX = 1024 * 1024
ALIAS_RE = re.compile(r"^[a-z0-9_-]{1,32}\Z")
RESUME_KEY_RE = re.compile(r"^[a-zA-Z0-9_-]{1,100}\Z")
MENU_ID_RE = re.compile(r"^richmenu-[0-9a-f]{32}\Z")
ACTIONS = {"postback", "message", "uri", "datetimepicker", "richmenuswitch"}
URI_SCHEMES = ("http://", "https://", "line://", "tel:")
INPUT_OPTIONS = {"closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"}
BULK_MAX = 500
BATCH_MAX = 1000

NOT_FOUND = {"message": "Not found"}


class _Invalid(Exception):
    def __init__(self, details: list[dict], message: str | None = None) -> None:
        super().__init__(message or f"The request body has {len(details)} error(s)")
        self.message = message or f"The request body has {len(details)} error(s)"
        self.details = details


def _int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, prop: str, *, low: int, high: int, required: bool = True) -> list[dict]:
    if value is None:
        return [{"message": "must be specified", "property": prop}] if required else []
    if not isinstance(value, str):
        return [{"message": "must be a string", "property": prop}]
    if not (low <= len(value) <= high):
        return [{"message": f"Length must be between {low} and {high}", "property": prop}]
    return []


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RichMenuEmulator:
    """The rich-menu part of ``EmulatorState`` (uses its lock, token, limits and log)."""

    name = "richmenus"
    LIMITS = LIMITS

    def __init__(self, state: Any) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.menus: dict[str, dict] = {}  # id -> rich menu object (with richMenuId)
        self.images: dict[str, tuple[bytes, str]] = {}
        self.default: str | None = None
        self.links: dict[str, str] = {}  # user id -> menu id
        self.aliases: dict[str, str] = {}
        self.batches: dict[str, dict] = {}
        self.resume_keys: dict[str, str] = {}

    # -- the record ------------------------------------------------------------------------
    def menu_for(self, user_id: str) -> str | None:
        """The menu ``user_id`` sees: their own link, else the default (None: no menu)."""
        with self.state.lock:
            return self.links.get(user_id) or self.default

    def summary(self) -> dict:
        with self.state.lock:
            per_menu: dict[str, int] = {}
            for menu_id in self.links.values():
                per_menu[menu_id] = per_menu.get(menu_id, 0) + 1
            return {
                "menus": sorted(self.menus),
                "default": self.default,
                "linked_users": len(self.links),
                "links_per_menu": per_menu,
                "aliases": dict(self.aliases),
                "batches": len(self.batches),
            }

    # -- routing -----------------------------------------------------------------------------
    def route(self, method: str, path: str) -> tuple[str, str, list[str]] | None:
        """(operation, bucket, path arguments) of a rich-menu request, or None (not ours)."""
        if path.startswith("/v2/bot/user/"):
            parts = path[len("/v2/bot/user/") :].split("/")
            if parts[0] == "all" and parts[1:2] == ["richmenu"]:
                if len(parts) == 3 and method == "POST":
                    return "default_set", "richmenu", [parts[2]]
                if len(parts) == 2 and method in ("GET", "DELETE"):
                    return f"default_{method.lower()}", "richmenu", []
                return None
            if len(parts) >= 2 and parts[1] == "richmenu":
                if len(parts) == 3 and method == "POST":
                    return "user_link", "richmenu", [parts[0], parts[2]]
                if len(parts) == 2 and method in ("GET", "DELETE"):
                    return f"user_{method.lower()}", "richmenu", [parts[0]]
            return None
        if not path.startswith("/v2/bot/richmenu"):
            return None
        rest = path[len("/v2/bot/richmenu") :]
        fixed = {
            ("POST", ""): ("create", "richmenu_create"),
            ("POST", "/validate"): ("validate", "richmenu"),
            ("GET", "/list"): ("list", "richmenu"),
            ("POST", "/alias"): ("alias_create", "richmenu"),
            ("GET", "/alias/list"): ("alias_list", "richmenu"),
            ("POST", "/bulk/link"): ("bulk_link", "richmenu_bulk_link"),
            ("POST", "/bulk/unlink"): ("bulk_unlink", "richmenu_bulk_unlink"),
            ("POST", "/batch"): ("batch", "richmenu_batch"),
            ("POST", "/validate/batch"): ("batch_validate", "richmenu"),
            ("GET", "/progress/batch"): ("batch_progress", "richmenu"),
        }
        if (method, rest) in fixed:
            operation, bucket = fixed[(method, rest)]
            return operation, bucket, []
        parts = rest.lstrip("/").split("/")
        if parts[0] == "alias" and len(parts) == 2:
            alias_operation = {"GET": "alias_get", "POST": "alias_update", "DELETE": "alias_delete"}.get(method)
            if alias_operation:
                return alias_operation, ("richmenu_alias_delete" if method == "DELETE" else "richmenu"), [parts[1]]
            return None
        if len(parts) == 1 and parts[0]:
            menu_operation = {"GET": "get", "DELETE": "delete"}.get(method)
            if menu_operation:
                return menu_operation, ("richmenu_delete" if method == "DELETE" else "richmenu"), [parts[0]]
        if len(parts) == 2 and parts[1] == "content" and method in ("POST", "GET"):
            return f"content_{method.lower()}", "richmenu", [parts[0]]
        return None

    # -- handling ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: Any, raw: bytes, request_id: str) -> Response | None:
        found = self.route(method, path)
        if found is None:
            return None
        operation, bucket, args = found
        args = [unquote(a) for a in args]
        state = self.state
        if (headers.get("Authorization") or "") != f"Bearer {state.token}":
            return Response(
                401, {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
            )
        import time

        with state.lock:
            state.endpoint_counts[bucket] += 1
            if state._rate_limited(bucket, time.monotonic()):
                state._log_locked(bucket, request_id, "", None, 429)
                return Response(429, {"message": "The API rate limit has been exceeded. Try again later."})
            fault = state._fault(bucket)  # set_faults(endpoints=["richmenu", ...]): 429 / 500 (delays: send endpoints)
            if fault == "429":
                state._log_locked(bucket, request_id, "", None, 429)
                extra = {"Retry-After": f"{state.faults.retry_after:g}"} if state.faults.retry_after is not None else {}
                return Response(429, {"message": "The API rate limit has been exceeded. Try again later."}, extra)
            if fault == "500":
                state._log_locked(bucket, request_id, "", None, 500)
                return Response(500, {"message": "An error occurred in the server. Please try again later."})
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body: Any = None
        if operation == "content_post":
            body = raw
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._log(
                    bucket, request_id, None, Response(400, {"message": "The request body could not be parsed as JSON"})
                )
        try:
            with state.lock:
                response = getattr(self, f"_{operation}")(args=args, body=body, query=query, content_type=content_type,
                                                          request_id=request_id)  # fmt: skip
        except _Invalid as exc:
            payload: dict = {"message": exc.message}
            if exc.details:
                payload["details"] = exc.details
            response = Response(400, payload)
        return self._log(bucket, request_id, body if operation != "content_post" else None, response)

    def _log(self, bucket: str, request_id: str, body: Any, response: Response) -> Response:
        self.state._log(bucket, request_id, "", body, response.status)
        return response

    # -- validation as LINE does it --------------------------------------------------------
    def menu_errors(self, body: Any) -> list[dict]:
        if not isinstance(body, dict):
            return [{"message": "must be an object", "property": ""}]
        errors: list[dict] = []
        size = body.get("size")
        width: Any = None
        height: Any = None
        if not isinstance(size, dict):
            errors.append({"message": "must be specified", "property": "size"})
        else:
            width, height = size.get("width"), size.get("height")
            if not _int(width) or not (WIDTH_MIN <= width <= WIDTH_MAX):
                errors.append({"message": f"must be between {WIDTH_MIN} and {WIDTH_MAX}", "property": "size.width"})
                width = None
            if not _int(height) or height < HEIGHT_MIN:
                errors.append({"message": f"must be greater than or equal to {HEIGHT_MIN}", "property": "size.height"})
                height = None
            if width and height and width / height < ASPECT_MIN:
                errors.append({"message": f"aspect ratio (width / height) must be at least {ASPECT_MIN}", "property": "size"})
        if not isinstance(body.get("selected"), bool):
            errors.append({"message": "must be specified", "property": "selected"})
        errors += _text(body.get("name"), "name", low=1, high=300)
        errors += _text(body.get("chatBarText"), "chatBarText", low=1, high=14)
        areas = body.get("areas")
        if not isinstance(areas, list):
            errors.append({"message": "must be specified", "property": "areas"})
        elif len(areas) > AREAS_MAX:
            errors.append({"message": f"Size must be between 0 and {AREAS_MAX}", "property": "areas"})
        else:
            for index, area in enumerate(areas):
                errors += self._area_errors(area, f"areas[{index}]", width, height)
        return errors

    def _area_errors(self, area: Any, where: str, width: int | None, height: int | None) -> list[dict]:
        if not isinstance(area, dict):
            return [{"message": "must be an object", "property": where}]
        errors: list[dict] = []
        bounds = area.get("bounds")
        if not isinstance(bounds, dict):
            errors.append({"message": "must be specified", "property": f"{where}.bounds"})
        else:
            ok = True
            for key, low in (("x", 0), ("y", 0), ("width", 1), ("height", 1)):
                value: Any = bounds.get(key)
                if not _int(value) or value < low:
                    errors.append({"message": f"must be greater than or equal to {low}", "property": f"{where}.bounds.{key}"})
                    ok = False
            if ok and width and height and (bounds["x"] + bounds["width"] > width or bounds["y"] + bounds["height"] > height):
                errors.append({"message": "must be inside the rich menu", "property": f"{where}.bounds"})
        errors += self._action_errors(area.get("action"), f"{where}.action")
        return errors

    def _action_errors(self, action: Any, where: str) -> list[dict]:
        if not isinstance(action, dict):
            return [{"message": "must be specified", "property": where}]
        kind = action.get("type")
        if kind not in ACTIONS:
            return [{"message": "Invalid action type", "property": f"{where}.type"}]
        errors = _text(action.get("label"), f"{where}.label", low=0, high=20, required=False)
        if kind == "message":
            errors += _text(action.get("text"), f"{where}.text", low=1, high=300)
        elif kind == "postback":
            errors += _text(action.get("data"), f"{where}.data", low=0, high=300)
            errors += _text(action.get("displayText"), f"{where}.displayText", low=1, high=300, required=False)
            errors += _text(action.get("text"), f"{where}.text", low=1, high=300, required=False)
            if action.get("inputOption") is not None and action["inputOption"] not in INPUT_OPTIONS:
                errors.append({"message": "Invalid input option", "property": f"{where}.inputOption"})
        elif kind == "uri":
            uri = action.get("uri")
            errors += _text(uri, f"{where}.uri", low=1, high=1000)
            if isinstance(uri, str) and uri and not uri.startswith(URI_SCHEMES):
                errors.append({"message": "Invalid URI scheme", "property": f"{where}.uri"})
        elif kind == "richmenuswitch":
            alias = action.get("richMenuAliasId")
            errors += _text(action.get("data"), f"{where}.data", low=0, high=300)
            if not isinstance(alias, str) or not ALIAS_RE.match(alias):
                errors.append({"message": "must match ^[a-z0-9_-]{1,32}$", "property": f"{where}.richMenuAliasId"})
        elif kind == "datetimepicker":
            errors += _text(action.get("data"), f"{where}.data", low=0, high=300)
            if action.get("mode") not in ("date", "time", "datetime"):
                errors.append({"message": "must be one of date, time, datetime", "property": f"{where}.mode"})
        return errors

    def _menu_ready(self, menu_id: Any) -> Response | None:
        """None when ``menu_id`` names a menu with its image; else LINE's refusal."""
        if not isinstance(menu_id, str) or menu_id not in self.menus:
            return Response(400 if not isinstance(menu_id, str) else 404, {"message": "richmenu not found"})
        if menu_id not in self.images:
            return Response(400, {"message": "must upload richmenu image before applying it to user"})
        return None

    def _user_ids(self, body: Any) -> list[str]:
        if not isinstance(body, dict):
            raise _Invalid([{"message": "must be an object", "property": ""}])
        ids = body.get("userIds")
        if not isinstance(ids, list):
            raise _Invalid([{"message": "must be specified", "property": "userIds"}])
        if not (1 <= len(ids) <= BULK_MAX):
            raise _Invalid([{"message": f"Size must be between 1 and {BULK_MAX}", "property": "userIds"}])
        bad = [i for i, u in enumerate(ids) if not (isinstance(u, str) and USER_ID_RE.match(u))]
        if bad:
            raise _Invalid([{"message": "invalid user ID", "property": f"userIds[{i}]"} for i in bad[:10]])
        return ids

    # -- operations (called with the state's lock held) ------------------------------------------
    def _validate(self, *, body: Any, **_: Any) -> Response:
        errors = self.menu_errors(body)
        if errors:
            raise _Invalid(errors)
        return Response(200, {})

    def _create(self, *, body: Any, **_: Any) -> Response:
        errors = self.menu_errors(body)
        if errors:
            raise _Invalid(errors)
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.menus[menu_id] = {"richMenuId": menu_id, **body}
        return Response(200, {"richMenuId": menu_id})

    def _get(self, *, args: list[str], **_: Any) -> Response:
        menu = self.menus.get(args[0])
        return Response(200, dict(menu)) if menu else Response(404, NOT_FOUND)

    def _list(self, **_: Any) -> Response:
        return Response(200, {"richmenus": [dict(m) for m in self.menus.values()]})

    def _delete(self, *, args: list[str], **_: Any) -> Response:
        menu_id = args[0]
        if menu_id not in self.menus:
            return Response(404, NOT_FOUND)
        del self.menus[menu_id]
        self.images.pop(menu_id, None)
        if self.default == menu_id:
            self.default = None
        for user in [u for u, m in self.links.items() if m == menu_id]:
            del self.links[user]
        for alias in [a for a, m in self.aliases.items() if m == menu_id]:
            del self.aliases[alias]
        return Response(200, {})

    def _content_post(self, *, args: list[str], body: bytes, content_type: str, **_: Any) -> Response:
        menu_id = args[0]
        menu = self.menus.get(menu_id)
        if menu is None:
            return Response(404, NOT_FOUND)
        if menu_id in self.images:
            return Response(400, {"message": "An image has already been uploaded to the richmenu"})
        if content_type not in ("image/jpeg", "image/png"):
            return Response(415, {"message": "Unsupported Media Type"})
        if not body or len(body) > IMAGE_MAX:
            return Response(400, {"message": "The image must be no more than 1 MB"})
        try:
            from PIL import Image

            with Image.open(io.BytesIO(body)) as image:
                kind, size = image.format, image.size
        except Exception:  # noqa: BLE001 - any unreadable upload is LINE's 400
            return Response(400, {"message": "The image could not be read"})
        if {"JPEG": "image/jpeg", "PNG": "image/png"}.get(kind or "") != content_type:
            return Response(400, {"message": "The image does not match its Content-Type"})
        if size != (menu["size"]["width"], menu["size"]["height"]):
            return Response(400, {"message": "The image size must match the size of the rich menu"})
        self.images[menu_id] = (bytes(body), content_type)
        return Response(200, {})

    def _content_get(self, *, args: list[str], **_: Any) -> Response:
        found = self.images.get(args[0])
        if not found:
            return Response(404, NOT_FOUND)
        return Response(200, found[0], content_type=found[1])

    def _default_set(self, *, args: list[str], **_: Any) -> Response:
        refused = self._menu_ready(args[0])
        if refused:
            return refused
        self.default = args[0]
        return Response(200, {})

    def _default_get(self, **_: Any) -> Response:
        if not self.default:
            return Response(404, {"message": "no default richmenu"})
        return Response(200, {"richMenuId": self.default})

    def _default_delete(self, **_: Any) -> Response:
        self.default = None
        return Response(200, {})

    def _user_link(self, *, args: list[str], **_: Any) -> Response:
        user_id, menu_id = args
        if not USER_ID_RE.match(user_id):
            return Response(400, {"message": "The value for the 'userId' parameter is invalid"})
        refused = self._menu_ready(menu_id)
        if refused:
            return refused
        self.links[user_id] = menu_id
        return Response(200, {})

    def _user_get(self, *, args: list[str], **_: Any) -> Response:
        if not USER_ID_RE.match(args[0]):
            return Response(400, {"message": "The value for the 'userId' parameter is invalid"})
        menu_id = self.links.get(args[0])
        return Response(200, {"richMenuId": menu_id}) if menu_id else Response(404, {"message": "the user has no richmenu"})

    def _user_delete(self, *, args: list[str], **_: Any) -> Response:
        if not USER_ID_RE.match(args[0]):
            return Response(400, {"message": "The value for the 'userId' parameter is invalid"})
        self.links.pop(args[0], None)
        return Response(200, {})

    def _bulk_link(self, *, body: Any, **_: Any) -> Response:
        ids = self._user_ids(body)
        menu_id = body.get("richMenuId")
        if not isinstance(menu_id, str) or not menu_id:
            raise _Invalid([{"message": "must be specified", "property": "richMenuId"}])
        refused = self._menu_ready(menu_id)
        if refused:
            return refused
        for user_id in ids:
            self.links[user_id] = menu_id
        return Response(202, {})

    def _bulk_unlink(self, *, body: Any, **_: Any) -> Response:
        for user_id in self._user_ids(body):
            self.links.pop(user_id, None)
        return Response(202, {})

    def _alias_create(self, *, body: Any, **_: Any) -> Response:
        if not isinstance(body, dict):
            raise _Invalid([{"message": "must be an object", "property": ""}])
        alias, menu_id = body.get("richMenuAliasId"), body.get("richMenuId")
        errors = []
        if not isinstance(alias, str) or not ALIAS_RE.match(alias):
            errors.append({"message": "must match ^[a-z0-9_-]{1,32}$", "property": "richMenuAliasId"})
        if not isinstance(menu_id, str) or not menu_id:
            errors.append({"message": "must be specified", "property": "richMenuId"})
        if errors:
            raise _Invalid(errors)
        if alias in self.aliases:
            return Response(400, {"message": "conflict richmenu alias id"})
        refused = self._menu_ready(menu_id)
        if refused:
            return Response(400, refused.body)
        self.aliases[str(alias)] = str(menu_id)
        return Response(200, {})

    def _alias_update(self, *, args: list[str], body: Any, **_: Any) -> Response:
        if args[0] not in self.aliases:
            return Response(404, {"message": "richmenu alias not found"})
        menu_id = body.get("richMenuId") if isinstance(body, dict) else None
        if not isinstance(menu_id, str) or not menu_id:
            raise _Invalid([{"message": "must be specified", "property": "richMenuId"}])
        refused = self._menu_ready(menu_id)
        if refused:
            return Response(400, refused.body)
        self.aliases[args[0]] = menu_id
        return Response(200, {})

    def _alias_get(self, *, args: list[str], **_: Any) -> Response:
        menu_id = self.aliases.get(args[0])
        if not menu_id:
            return Response(404, {"message": "richmenu alias not found"})
        return Response(200, {"richMenuAliasId": args[0], "richMenuId": menu_id})

    def _alias_delete(self, *, args: list[str], **_: Any) -> Response:
        if args[0] not in self.aliases:
            return Response(404, {"message": "richmenu alias not found"})
        del self.aliases[args[0]]
        return Response(200, {})

    def _alias_list(self, **_: Any) -> Response:
        return Response(200, {"aliases": [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.aliases.items()]})

    def _batch_operations(self, body: Any) -> list[dict]:
        if not isinstance(body, dict):
            raise _Invalid([{"message": "must be an object", "property": ""}])
        operations = body.get("operations")
        if not isinstance(operations, list) or not (1 <= len(operations) <= BATCH_MAX):
            raise _Invalid([{"message": f"Size must be between 1 and {BATCH_MAX}", "property": "operations"}])
        errors: list[dict] = []
        for index, op in enumerate(operations):
            where = f"operations[{index}]"
            kind = op.get("type") if isinstance(op, dict) else None
            if kind not in ("link", "unlink", "unlinkAll"):
                errors.append({"message": "must be one of link, unlink, unlinkAll", "property": f"{where}.type"})
                continue
            keys = {"link": ("from", "to"), "unlink": ("from",), "unlinkAll": ()}[kind]
            for key in keys:
                value = op.get(key)
                if not isinstance(value, str) or not value:
                    errors.append({"message": "must be specified", "property": f"{where}.{key}"})
                elif value not in self.menus:
                    errors.append({"message": "richmenu not found", "property": f"{where}.{key}"})
        resume: Any = body.get("resumeRequestKey")
        if resume is not None and (not isinstance(resume, str) or not RESUME_KEY_RE.match(resume)):
            errors.append({"message": "must match ^[a-zA-Z0-9_-]{1,100}$", "property": "resumeRequestKey"})
        if errors:
            raise _Invalid(errors)
        return operations

    def _batch_validate(self, *, body: Any, **_: Any) -> Response:
        self._batch_operations(body)
        return Response(200, {})

    def _batch(self, *, body: Any, request_id: str, **_: Any) -> Response:
        operations = self._batch_operations(body)
        key = body.get("resumeRequestKey")
        if key and key in self.resume_keys and self.batches[self.resume_keys[key]]["phase"] == "succeeded":
            return Response(409, {"message": "the batch of this resumeRequestKey has already succeeded"})
        if any(b["phase"] == "ongoing" for b in self.batches.values()):
            return Response(409, {"message": "another batch is in progress"})
        accepted = _now_iso()
        for op in operations:  # applied at once (LINE works through it in the background)
            if op["type"] == "link":
                for user, menu in list(self.links.items()):
                    if menu == op["from"]:
                        self.links[user] = op["to"]
            elif op["type"] == "unlink":
                for user in [u for u, m in self.links.items() if m == op["from"]]:
                    del self.links[user]
            else:
                self.links.clear()
        self.batches[request_id] = {"phase": "succeeded", "acceptedTime": accepted, "completedTime": _now_iso()}
        if key:
            self.resume_keys[key] = request_id
        return Response(202, {})

    def _batch_progress(self, *, query: dict, **_: Any) -> Response:
        request_id = (query.get("requestId") or [""])[0]
        if not request_id:
            raise _Invalid([{"message": "must be specified", "property": "requestId"}])
        found = self.batches.get(request_id)
        return Response(200, dict(found)) if found else Response(404, NOT_FOUND)

    # -- admin ---------------------------------------------------------------------------------
    def admin(self, method: str, path: str, query: dict, data: dict) -> Response | None:
        if (method, path) == ("GET", "/_emulator/richmenus"):
            return Response(200, self.summary())
        if (method, path) == ("GET", "/_emulator/richmenus/user"):
            user_id = (query.get("user_id") or [""])[0]
            return Response(200, {"user_id": user_id, "richMenuId": self.menu_for(user_id)})
        return None
