"""The emulator's insight endpoints (LINE's statistics), one of ``emulator.EXTENSIONS``.

- ``GET /v2/bot/insight/message/event?requestId=``: a broadcast's overview (delivered,
  uniqueImpression, uniqueClick, …), ``messages[]`` per bubble and ``clicks[]`` per URL.
- ``GET /v2/bot/insight/message/event/aggregation?customAggregationUnit=&from=&to=``: the same
  per unit, for the multicasts and pushes sent with ``customAggregationUnits: [unit]``.
- ``GET /v2/bot/insight/followers?date=yyyyMMdd``: followers, targetedReaches, blocks of a day.
- ``GET /v2/bot/insight/demographic``: genders, ages, areas as percentages.

As LINE: 60 requests an hour per endpoint (429 past it; ``POST /_emulator/limits`` changes
them), numbers null until counted — ``ready_delay`` seconds after the last delivery of a
request or unit —, numbers under 20 null (LINE's own privacy floor), dates ``yyyyMMdd``
(aggregation: ``from`` ≤ ``to``, at most 30 days), ``customAggregationUnits`` on push and
multicast one name of 1–30 characters ``[a-zA-Z0-9_]`` (400 otherwise).

Opens and clicks are simulated, deterministic per request or unit: ``open_rate`` of the
delivered (default 0.6) opened the first bubble (later bubbles a little fewer), ``click_rate``
(default 0.08) clicked, shared among the URLs the messages hold. ``POST /_emulator/insight``
sets ``open_rate``, ``click_rate``, ``ready_delay``, ``friends`` (followers today; default the
users the emulator has delivered to, at least 1,000) and ``followers`` (``{yyyyMMdd: {followers,
targetedReaches, blocks}}``); ``GET /_emulator/insight`` reads them and the record.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zlib
from typing import Any

from .emulator import Response

LIMITS: dict[str, tuple[int, float]] = {
    "insight_message": (60, 3600.0),
    "insight_unit": (60, 3600.0),
    "insight_followers": (60, 3600.0),
    "insight_demographic": (60, 3600.0),
}
UNIT_RE = re.compile(r"^[a-zA-Z0-9_]{1,30}\Z")
DATE_RE = re.compile(r"^\d{8}\Z")
URL_RE = re.compile(r"https?://[^\s\"'<>]+")
LINE_FLOOR = 20  # LINE answers null for a figure under 20
JST = dt.timezone(dt.timedelta(hours=9))
ROUTES = {
    "/v2/bot/insight/message/event": "insight_message",
    "/v2/bot/insight/message/event/aggregation": "insight_unit",
    "/v2/bot/insight/followers": "insight_followers",
    "/v2/bot/insight/demographic": "insight_demographic",
}


def _urls(messages: list[dict]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for seq, message in enumerate(messages, start=1):
        seen: set[str] = set()
        for url in URL_RE.findall(repr(message)):
            url = url.rstrip(".,)」")
            if url not in seen and not url.startswith(("https://example.com/img", "http://127.0.0.1")):
                seen.add(url)
                found.append((seq, url))
    return found


def _floor(value: int) -> int | None:
    return value if value >= LINE_FLOOR else None


def _day(value: str) -> dt.date | None:
    if not DATE_RE.match(value or ""):
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


class InsightEmulator:
    """The insight part of ``EmulatorState`` (uses its lock, token, limits and log)."""

    name = "insight"
    LIMITS = LIMITS

    def __init__(self, state: Any) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.open_rate = 0.6
        self.click_rate = 0.08
        self.ready_delay = 30.0
        self.requests: dict[str, dict] = {}  # broadcast request id -> record
        self.units: dict[str, dict] = {}  # aggregation unit -> record
        self.friends: int | None = None
        self.followers: dict[str, dict] = {}

    # -- hooks of the send endpoints (called by EmulatorState under its lock) ---------------
    def validate_send(self, endpoint: str, body: dict) -> list[dict]:
        if "customAggregationUnits" not in body:
            return []
        units = body["customAggregationUnits"]
        if endpoint not in ("push", "multicast"):
            return [{"message": "customAggregationUnits is not allowed here", "property": "customAggregationUnits"}]
        if not isinstance(units, list) or len(units) != 1:
            return [{"message": "Size must be between 1 and 1", "property": "customAggregationUnits"}]
        if not isinstance(units[0], str) or not UNIT_RE.match(units[0]):
            return [{"message": "must match ^[a-zA-Z0-9_]{1,30}$", "property": "customAggregationUnits[0]"}]
        return []

    def delivered(self, endpoint: str, request_id: str, body: dict, recipients: list[str]) -> None:
        now = time.monotonic()
        today = dt.datetime.now(JST).date()
        messages = list(body.get("messages") or [])
        if endpoint == "broadcast":
            self.requests[request_id] = {"delivered": self._friends(), "last": now, "messages": messages, "days": {today}}
            return
        units = body.get("customAggregationUnits") or []
        if endpoint in ("push", "multicast") and units:
            record = self.units.setdefault(units[0], {"delivered": 0, "last": now, "messages": messages, "days": set()})
            record["delivered"] += len(recipients)
            record["last"] = now
            record["days"].add(today)

    # -- routing -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: Any, raw: bytes, request_id: str) -> Response | None:
        bucket = ROUTES.get(path)
        if bucket is None or method != "GET":
            return None
        state = self.state
        if (headers.get("Authorization") or "") != f"Bearer {state.token}":
            return Response(
                401, {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
            )
        params = {key: (values or [""])[0] for key, values in query.items()}
        with state.lock:
            state.endpoint_counts[bucket] += 1
            if state._rate_limited(bucket, time.monotonic()):
                state._log_locked(bucket, request_id, "", params, 429)
                return Response(429, {"message": "The API rate limit has been exceeded. Try again later."})
            response = getattr(self, f"_{bucket}")(params)
            state._log_locked(bucket, request_id, "", params, response.status)
            return response

    # -- the endpoints -----------------------------------------------------------------------
    def _figures(self, key: str, record: dict | None) -> tuple[dict, list[dict], list[dict]] | None:
        """(overview, messages, clicks) of a counted record; None while not counted yet."""
        if record is None or time.monotonic() - record["last"] < self.ready_delay:
            return None
        delivered = int(record["delivered"])
        rng = zlib.crc32(key.encode()) % 1000 / 1000.0  # a per-request wobble of ±5 %
        opened = int(round(delivered * self.open_rate * (0.95 + 0.1 * rng)))
        clicked = min(opened, int(round(delivered * self.click_rate * (0.95 + 0.1 * rng))))
        messages = []
        for seq, _message in enumerate(record["messages"], start=1):
            unique = int(round(opened * (1.0 - 0.08 * (seq - 1))))
            messages.append({"seq": seq, "impression": _floor(int(unique * 1.3)), "uniqueImpression": _floor(unique),
                             "mediaPlayed": None, "mediaPlayed25Percent": None, "mediaPlayed50Percent": None,
                             "mediaPlayed75Percent": None, "mediaPlayed100Percent": None, "uniqueMediaPlayed": None,
                             "uniqueMediaPlayed25Percent": None, "uniqueMediaPlayed50Percent": None,
                             "uniqueMediaPlayed75Percent": None, "uniqueMediaPlayed100Percent": None})  # fmt: skip
        urls = _urls(record["messages"])
        clicks = []
        for index, (seq, url) in enumerate(urls):
            share = clicked * (0.6 if index == 0 else 0.4 / max(1, len(urls) - 1)) if len(urls) > 1 else clicked
            unique = int(round(share))
            clicks.append({"seq": seq, "url": url, "click": _floor(int(unique * 1.2)), "uniqueClick": _floor(unique),
                           "uniqueClickOfRequest": _floor(unique)})  # fmt: skip
        overview = {
            "uniqueImpression": _floor(opened),
            "uniqueClick": _floor(clicked) if urls else None,
            "uniqueMediaPlayed": None,
            "uniqueMediaPlayed100Percent": None,
        }
        return overview, messages, clicks

    def _insight_message(self, params: dict) -> Response:
        request_id = params.get("requestId") or ""
        if not request_id:
            return Response(400, {"message": "The value for the 'requestId' parameter is invalid"})
        record = self.requests.get(request_id)
        found = self._figures(request_id, record)
        if found is None:
            overview = {"requestId": request_id, "timestamp": None, "delivered": None, "uniqueImpression": None,
                        "uniqueClick": None, "uniqueMediaPlayed": None, "uniqueMediaPlayed100Percent": None}  # fmt: skip
            return Response(200, {"overview": overview, "messages": [], "clicks": []})
        overview, messages, clicks = found
        assert record is not None
        overview = {"requestId": request_id, "timestamp": int(time.time()) - int(time.monotonic() - record["last"]),
                    "delivered": int(record["delivered"]), **overview}  # fmt: skip
        return Response(200, {"overview": overview, "messages": messages, "clicks": clicks})

    def _insight_unit(self, params: dict) -> Response:
        unit = params.get("customAggregationUnit") or ""
        details = []
        if not UNIT_RE.match(unit):
            details.append({"message": "must match ^[a-zA-Z0-9_]{1,30}$", "property": "customAggregationUnit"})
        start, end = _day(params.get("from") or ""), _day(params.get("to") or "")
        if start is None:
            details.append({"message": "must be yyyyMMdd", "property": "from"})
        if end is None:
            details.append({"message": "must be yyyyMMdd", "property": "to"})
        if start and end and (end < start or (end - start).days > 30):
            details.append({"message": "'to' must be on or after 'from', at most 30 days", "property": "to"})
        if details:
            return Response(400, {"message": f"The request has {len(details)} error(s)", "details": details})
        record = self.units.get(unit)
        if record is not None and not any(start <= day <= end for day in record["days"]):
            record = None
        found = self._figures(unit, record)
        if found is None:
            empty = {"uniqueImpression": None, "uniqueClick": None, "uniqueMediaPlayed": None,
                     "uniqueMediaPlayed100Percent": None}  # fmt: skip
            return Response(200, {"overview": empty, "messages": [], "clicks": []})
        overview, messages, clicks = found
        return Response(200, {"overview": overview, "messages": messages, "clicks": clicks})

    def _friends(self) -> int:
        if self.friends is not None:
            return self.friends
        return max(1000, len(self.state.counts))

    def _insight_followers(self, params: dict) -> Response:
        day = _day(params.get("date") or "")
        if day is None:
            return Response(400, {"message": "The value for the 'date' parameter is invalid", "details": [
                {"message": "must be yyyyMMdd", "property": "date"}]})  # fmt: skip
        today = dt.datetime.now(JST).date()
        if day >= today:
            return Response(200, {"status": "unready", "followers": None, "targetedReaches": None, "blocks": None})
        given = self.followers.get(day.strftime("%Y%m%d"))
        if given is not None:
            return Response(200, {"status": "ready", **given})
        back = (today - day).days
        if back > 400:
            return Response(200, {"status": "out_of_service", "followers": None, "targetedReaches": None, "blocks": None})
        friends = self._friends()
        # About 0.15 % more friends a day, with a weekly ripple; blocks grow with them.
        followers = int(friends * (1 - 0.0015 * back) + (zlib.crc32(str(day).encode()) % 7) * friends / 2000)
        blocks = int(followers * 0.07 + back * 0.0)
        return Response(
            200,
            {"status": "ready", "followers": followers, "targetedReaches": int(followers * 0.82), "blocks": blocks},
        )

    def _insight_demographic(self, params: dict) -> Response:
        genders = [{"gender": "female", "percentage": 54.2}, {"gender": "male", "percentage": 41.3},
                   {"gender": "unknown", "percentage": 4.5}]  # fmt: skip
        ages = [{"age": f"from{a}to{b}", "percentage": p} for a, b, p in
                ((15, 19, 3.1), (20, 24, 6.8), (25, 29, 9.4), (30, 34, 11.9), (35, 39, 12.6), (40, 44, 13.1),
                 (45, 49, 12.0), (50, 999, 31.1))]  # fmt: skip
        areas = [{"area": "福岡", "percentage": 88.4}, {"area": "unknown", "percentage": 11.6}]
        return Response(200, {"available": True, "genders": genders, "ages": ages, "areas": areas,
                              "appTypes": [], "subscriptionPeriods": []})  # fmt: skip

    # -- admin ------------------------------------------------------------------------------
    def admin(self, method: str, path: str, query: dict, data: dict) -> Response | None:
        if path != "/_emulator/insight":
            return None
        with self.state.lock:
            if method == "POST":
                for key in ("open_rate", "click_rate", "ready_delay"):
                    if data.get(key) is not None:
                        setattr(self, key, float(data[key]))
                if "friends" in data:
                    self.friends = None if data["friends"] is None else int(data["friends"])
                if isinstance(data.get("followers"), dict):
                    self.followers.update(data["followers"])
            return Response(200, self.summary_locked())

    def summary_locked(self) -> dict:
        return {
            "open_rate": self.open_rate,
            "click_rate": self.click_rate,
            "ready_delay": self.ready_delay,
            "friends": self.friends,
            "requests": {k: v["delivered"] for k, v in self.requests.items()},
            "units": {k: v["delivered"] for k, v in self.units.items()},
        }
