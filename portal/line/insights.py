"""LINE's insight endpoints (statistics LINE keeps about what the account sent), typed.

- ``message_event(request_id)``: ``GET /v2/bot/insight/message/event?requestId=`` — a
  broadcast or narrowcast request's delivered / unique impressions / unique clicks, per
  bubble and per URL. LINE answers nulls until it has counted (after sending completes).
- ``unit_statistics(unit, start, end)``: ``GET /v2/bot/insight/message/event/aggregation`` —
  the same per ``customAggregationUnits`` name (push and multicast; ``sender.multicast``'s
  ``aggregation_unit``), days ``start``–``end`` (yyyyMMdd, LINE's time zone).
- ``followers(day)``: ``GET /v2/bot/insight/followers?date=`` — friends, targeted reaches and
  blocks of one day (``status`` ``ready`` / ``unready`` / ``out_of_service``).
- ``demographic()``: ``GET /v2/bot/insight/demographic`` — friends' shares by gender, age, area.

Each call first takes a token of its endpoint group's shared bucket (``ratelimit``; LINE allows
most of these 60 requests an hour): without one it raises ``LineRateLimited`` at once (with
the seconds to wait), as LINE's own 429 does — callers try again later, never sleep here.
Figures LINE answers are exact aggregates: features show them only through their privacy
rounding (broadcasts/privacy.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import client, ratelimit
from .errors import LineRateLimited

UNIT_RE = re.compile(r"^[a-zA-Z0-9_]{1,30}\Z")

__all__ = [
    "UNIT_RE",
    "Click",
    "Demographic",
    "Followers",
    "LineRateLimited",
    "MessageStats",
    "Statistics",
    "demographic",
    "followers",
    "message_event",
    "unit_statistics",
]


@dataclass(frozen=True)
class MessageStats:
    """One bubble (``seq`` from 1)."""

    seq: int
    impression: int | None
    unique_impression: int | None


@dataclass(frozen=True)
class Click:
    """One URL of one bubble."""

    seq: int
    url: str
    click: int | None
    unique_click: int | None


@dataclass(frozen=True)
class Statistics:
    """What LINE counted for a request or a unit; ``ready`` False while LINE answers nulls."""

    ready: bool
    delivered: int | None
    unique_impression: int | None
    unique_click: int | None
    messages: list[MessageStats] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)


@dataclass(frozen=True)
class Followers:
    status: str  # ready / unready / out_of_service
    followers: int | None
    targeted_reaches: int | None
    blocks: int | None

    @property
    def ready(self) -> bool:
        return self.status == "ready"


@dataclass(frozen=True)
class Demographic:
    available: bool
    genders: dict[str, float]
    ages: dict[str, float]
    areas: dict[str, float]


def _take(bucket: str) -> None:
    granted, wait = ratelimit.reserve(bucket, max_wait=0.0)
    if not granted:
        raise LineRateLimited("shared insight bucket is empty", retry_after=wait)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _statistics(data: dict[str, Any], *, delivered_key: bool) -> Statistics:
    overview = data.get("overview") or {}
    messages = [
        MessageStats(seq=int(m.get("seq") or 0), impression=_int(m.get("impression")),
                     unique_impression=_int(m.get("uniqueImpression")))
        for m in data.get("messages") or []
    ]  # fmt: skip
    clicks = [
        Click(seq=int(c.get("seq") or 0), url=str(c.get("url") or ""), click=_int(c.get("click")),
              unique_click=_int(c.get("uniqueClick")))
        for c in data.get("clicks") or []
    ]  # fmt: skip
    delivered = _int(overview.get("delivered")) if delivered_key else None
    impressions = _int(overview.get("uniqueImpression"))
    ready = (delivered is not None) if delivered_key else bool(messages) or impressions is not None
    return Statistics(
        ready=ready,
        delivered=delivered,
        unique_impression=impressions,
        unique_click=_int(overview.get("uniqueClick")),
        messages=messages,
        clicks=clicks,
    )


def message_event(request_id: str) -> Statistics:
    """Statistics of a broadcast / narrowcast request (LINE's ``x-line-request-id``)."""
    _take("insight_message")
    data = client.insight_get("/v2/bot/insight/message/event", query={"requestId": request_id})
    return _statistics(data, delivered_key=True)


def unit_statistics(unit: str, start: date, end: date) -> Statistics:
    """Statistics of the pushes and multicasts sent with ``customAggregationUnits: [unit]``
    on days ``start``–``end`` (``delivered`` is None: LINE does not count it per unit)."""
    if not UNIT_RE.match(unit):
        raise ValueError("aggregation unit: 1–30 of [a-zA-Z0-9_]")
    _take("insight_unit")
    query = {"customAggregationUnit": unit, "from": start.strftime("%Y%m%d"), "to": end.strftime("%Y%m%d")}
    data = client.insight_get("/v2/bot/insight/message/event/aggregation", query=query)
    return _statistics(data, delivered_key=False)


def followers(day: date) -> Followers:
    """Friends, targeted reaches and blocks on ``day``."""
    _take("insight_followers")
    data = client.insight_get("/v2/bot/insight/followers", query={"date": day.strftime("%Y%m%d")})
    return Followers(
        status=str(data.get("status") or "unready"),
        followers=_int(data.get("followers")),
        targeted_reaches=_int(data.get("targetedReaches")),
        blocks=_int(data.get("blocks")),
    )


def demographic() -> Demographic:
    """Friends' shares (percentages) by gender, age and area."""
    _take("insight_demographic")
    data = client.insight_get("/v2/bot/insight/demographic")

    return Demographic(
        available=bool(data.get("available")),
        genders={str(r.get("gender")): float(r.get("percentage") or 0) for r in data.get("genders") or []},
        ages={str(r.get("age")): float(r.get("percentage") or 0) for r in data.get("ages") or []},
        areas={str(r.get("area")): float(r.get("percentage") or 0) for r in data.get("areas") or []},
    )
