"""``manage.py line_simulate ACTION --user U…``: play a resident against the portal.

Builds a webhook event shaped as in LINE's webhook.yml, signs it with the channel secret
and posts it to the portal's webhook; registers the reply token (and an image's bytes)
with the LINE emulator, then prints what the bot sent back.

    manage.py line_simulate follow --user U4af4980629a1b2c3d4e5f60718293a4b   # U + 32 lower-case hex
    manage.py line_simulate text --user U… --text 受信設定
    manage.py line_simulate postback --user U… --data "flow=prefs&step=age&value=30-34"
    manage.py line_simulate tap --user U… --label 博多区      # a quick-reply button of the last message
    manage.py line_simulate image --user U… [--file photo.jpg]
    manage.py line_simulate location --user U… --lat 33.59 --lng 130.40 [--address …]
    manage.py line_simulate sticker|unfollow --user U…
"""

import base64
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.line.devtools import simulate
from portal.line.devtools.emulator import sample_jpeg

ACTIONS = ["follow", "unfollow", "text", "postback", "tap", "image", "location", "sticker"]


DEMO_EMULATOR = "http://127.0.0.1:8765"  # where `make run` starts the emulator


def _default_emulator() -> str:
    """LINE_API_BASE_URL when it points at a local emulator; otherwise the demo's emulator.
    The simulator never talks to the real LINE platform."""
    configured = settings.LINE_API_BASE_URL
    if urlparse(configured).hostname in ("127.0.0.1", "localhost", "::1"):
        return configured
    return DEMO_EMULATOR


def _call(url: str, payload: dict | None = None, method: str = "POST", timeout: float = 10) -> tuple[int, bytes]:
    data = json.dumps(payload).encode() if payload is not None else None
    if not url.startswith(("http://", "https://")):
        raise CommandError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local URLs given by the operator
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Command(BaseCommand):
    help = "Simulate a resident: sign a LINE webhook event and post it to the portal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("--user", default="", help="LINE user ID (default: a new random one)")
        parser.add_argument("--text", default="")
        parser.add_argument("--data", default="", help="postback data")
        parser.add_argument("--params", default="", help='postback params as JSON, e.g. {"date": "2026-12-01"}')
        parser.add_argument("--label", default="", help="tap: the quick-reply button's label")
        parser.add_argument("--file", default="", help="image: a JPEG/PNG file (default: a generated JPEG)")
        parser.add_argument("--lat", type=float, default=None)
        parser.add_argument("--lng", type=float, default=None)
        parser.add_argument("--address", default="")
        parser.add_argument("--url", default="http://127.0.0.1:8000/line/webhook", help="the portal's webhook URL")
        parser.add_argument(
            "--emulator", default="", help="LINE emulator URL (default: LINE_API_BASE_URL when local, else http://127.0.0.1:8765)"
        )
        parser.add_argument("--secret", default="", help="channel secret (default: LINE_CHANNEL_SECRET)")
        parser.add_argument("--wait", type=float, default=3.0, help="seconds to wait for the bot's answer (0: do not wait)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = options["user"] or simulate.new_user_id()
        if not simulate.is_user_id(user):
            raise CommandError(
                f"--user must be a LINE user ID: U followed by 32 lower-case hex digits, e.g. {simulate.user_id_for('demo')}"
            )
        emulator = (options["emulator"] or _default_emulator()).rstrip("/")
        action = options["action"]
        before = self._received(emulator, user)
        if action == "tap":
            action, options = self._tap(before, options)
        event = self._event(action, user, options, emulator)
        if event.get("replyToken"):
            self._emulator_post(emulator, "/_emulator/reply-tokens", {"reply_token": event["replyToken"], "user_id": user})
        read_tokens = simulate.read_tokens([event])
        if read_tokens:
            self._emulator_post(emulator, "/_emulator/read-tokens", {"tokens": read_tokens})
        body = simulate.callback_body([event])
        secret = options["secret"] or settings.LINE_CHANNEL_SECRET
        if not options["url"].startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310 - checked just above
            options["url"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Line-Signature": simulate.signature(body, secret)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the operator's portal URL
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except urllib.error.URLError as exc:
            raise CommandError(f"could not reach the portal at {options['url']}: {exc.reason}") from None
        self.stdout.write(f"{event['type']} by {user}: webhook answered {status}")
        if status != 200:
            raise CommandError("the webhook refused the event")
        self._show_replies(emulator, user, len(before), options["wait"])

    # -- helpers -------------------------------------------------------------------------
    def _event(self, action: str, user: str, options: dict, emulator: str) -> dict:
        if action == "follow":
            return simulate.follow_event(user)
        if action == "unfollow":
            return simulate.unfollow_event(user)
        if action == "text":
            if not options["text"]:
                raise CommandError("--text is required")
            return simulate.text_event(user, options["text"])
        if action == "postback":
            if not options["data"]:
                raise CommandError("--data is required")
            params = json.loads(options["params"]) if options["params"] else None
            return simulate.postback_event(user, options["data"], params)
        if action == "image":
            message_id = simulate.new_message_id()
            path = options["file"]
            body = Path(path).read_bytes() if path else sample_jpeg(int(message_id) % 1000)
            content_type = "image/png" if path.lower().endswith(".png") else "image/jpeg"
            self._emulator_post(
                emulator,
                "/_emulator/content",
                {"message_id": message_id, "content_type": content_type, "body_base64": base64.b64encode(body).decode()},
            )
            return simulate.image_event(user, message_id=message_id)
        if action == "location":
            if options["lat"] is None or options["lng"] is None:
                raise CommandError("--lat and --lng are required")
            return simulate.location_event(user, options["lat"], options["lng"], address=options["address"])
        return simulate.sticker_event(user)

    def _tap(self, received: list[dict], options: dict) -> tuple[str, dict]:
        label = options["label"]
        if not received:
            raise CommandError("the resident has received nothing to tap")
        items = received[-1].get("quickReply", {}).get("items", [])
        for item in items:
            action = item.get("action", {})
            if action.get("label") == label:
                if action.get("type") == "postback":
                    return "postback", {**options, "data": action["data"], "params": ""}
                if action.get("type") == "message":
                    return "text", {**options, "text": action.get("text") or label}
        labels = ", ".join(i.get("action", {}).get("label", "") for i in items)
        raise CommandError(f"no button {label!r} on the last message; buttons: {labels}")

    def _emulator_post(self, emulator: str, path: str, payload: dict) -> None:
        try:
            _call(emulator + path, payload)
        except (urllib.error.URLError, OSError):
            self.stderr.write(f"note: the LINE emulator at {emulator} is not reachable; replies will fall back to push")

    def _received(self, emulator: str, user: str) -> list[dict]:
        try:
            status, body = _call(f"{emulator}/_emulator/deliveries?user_id={user}", method="GET", timeout=3)
        except (urllib.error.URLError, OSError):
            return []
        return json.loads(body).get("messages", []) if status == 200 else []

    def _show_replies(self, emulator: str, user: str, seen: int, wait: float) -> None:
        if wait <= 0:
            return
        deadline = time.monotonic() + wait
        new: list[dict] = []
        while time.monotonic() < deadline:
            new = self._received(emulator, user)[seen:]
            if new:
                time.sleep(0.3)  # let a multi-message reply land
                new = self._received(emulator, user)[seen:]
                break
            time.sleep(0.2)
        if not new:
            self.stdout.write("(no answer from the bot yet; is the Celery worker running?)")
        for message in new:
            text = message.get("text") or f"[{message.get('type')}]"
            self.stdout.write(f"  bot> {text}")
            labels = [i.get("action", {}).get("label", "") for i in message.get("quickReply", {}).get("items", [])]
            if labels:
                self.stdout.write("       buttons: " + " | ".join(labels))
