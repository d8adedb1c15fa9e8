"""Results of sent broadcasts: what LINE counted (delivered, opened, clicked), fetched by a
beat job within LINE's rate limits, shown only through privacy.py's rounding.

Fetching (``results_fetch_due``, beat ``broadcasts.fetch_results`` every 5 minutes):
broadcasts finished in the last ``RESULTS_DAYS`` (14) days get a ``BroadcastResult`` row; a
row is due ``RESULTS_FIRST_DELAY`` seconds (600) after the finish, then again every hour
for the first day and every 6 hours after, until ``RESULTS_DAYS`` after the finish (then
确定). Due rows are taken never-fetched first, then the most recently finished, at most
``RESULTS_PER_RUN`` (10) a run; the insight buckets (50 an hour) are shared with the followers
job. A 429 (LINE's or the shared bucket's) stops the run and puts the row back by the wait
LINE asked for; a temporary error retries the row later with backoff; LINE not ready yet
(nulls until it has counted) retries in 10 minutes. Multicast batches carry
``customAggregationUnits: [unit_name(id)]`` (fanout), read with
``insights.unit_statistics``; an emergency broadcast (LINE's broadcast endpoint) is read by
its request id with ``insights.message_event``.

Showing (``broadcast_results``, ``results_api``): every figure about residents passes
``privacy.figure()`` (rounded; under 50 → None, 「50人未満」); a rate is computed from the
rounded figures, and is suppressed (「—」) when either part is under 50. Delivered of a
multicast is the broadcast's noisy sent total times the share of batches sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.line import insights
from portal.line.errors import LineRateLimited, LineRejected, LineTemporaryError

from . import privacy
from .models import Batch, Broadcast, BroadcastResult, FriendsDay

logger = logging.getLogger(__name__)

NOT_READY_RETRY = timedelta(minutes=10)
SENT = (Broadcast.Status.DONE, Broadcast.Status.PARTIAL)


def unit_name(broadcast_id: int) -> str:
    """The ``customAggregationUnits`` name of a broadcast's multicast batches (≤ 30 of [a-zA-Z0-9_])."""
    return f"portal_broadcast_{int(broadcast_id)}"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# -- fetching (the beat job) ---------------------------------------------------------------


@dataclass
class FetchRun:
    fetched: int = 0
    not_ready: int = 0
    rate_limited: bool = False
    errors: int = 0
    followers_days: int = 0


def _next_fetch(finished_at: datetime, now: datetime) -> tuple[datetime, bool]:
    """(when to fetch again, final) after a successful fetch."""
    end = finished_at + timedelta(days=_setting("RESULTS_DAYS", 14))
    step = timedelta(hours=1) if now - finished_at < timedelta(days=1) else timedelta(hours=6)
    nxt = now + step
    return (min(nxt, end), nxt >= end)


def _ensure_rows(now: datetime) -> None:
    since = now - timedelta(days=_setting("RESULTS_DAYS", 14))
    missing = Broadcast.objects.filter(status__in=SENT, finished_at__gte=since, result__isnull=True).values_list(
        "pk", "finished_at"
    )
    first = timedelta(seconds=_setting("RESULTS_FIRST_DELAY", 600))
    BroadcastResult.objects.bulk_create(
        [BroadcastResult(broadcast_id=pk, next_fetch_at=(finished or now) + first) for pk, finished in missing],
        ignore_conflicts=True,
    )


def _statistics(broadcast: Broadcast, now: datetime) -> insights.Statistics:
    if broadcast.is_emergency:
        request_id = (
            Batch.objects.filter(broadcast=broadcast, endpoint="broadcast", status=Batch.Status.DONE)
            .exclude(line_request_id="")
            .values_list("line_request_id", flat=True)
            .first()
        )
        if not request_id:
            return insights.Statistics(ready=False, delivered=None, unique_impression=None, unique_click=None)
        return insights.message_event(request_id)
    start = timezone.localdate(broadcast.started_at or broadcast.finished_at or now)
    end = min(timezone.localdate(now), start + timedelta(days=29))
    return insights.unit_statistics(unit_name(broadcast.pk), start, end)


def _store(row: BroadcastResult, stats: insights.Statistics, now: datetime) -> None:
    finished = row.broadcast.finished_at or now
    nxt, final = _next_fetch(finished, now)
    row.state = BroadcastResult.State.FINAL if final else BroadcastResult.State.READY
    row.delivered = stats.delivered
    row.opened = stats.unique_impression
    row.clicked = stats.unique_click
    row.per_bubble = [{"seq": m.seq, "opened": m.unique_impression} for m in stats.messages]
    row.per_url = [{"seq": c.seq, "url": c.url, "clicked": c.unique_click} for c in stats.clicks]
    row.fetched_at = now
    row.next_fetch_at = nxt
    row.attempts = 0
    row.error = ""
    row.save()


def results_fetch_due(*, now: datetime | None = None, per_run: int | None = None) -> FetchRun:
    """Beat job: fetch LINE's statistics of the due results (see the module docstring)."""
    now = now or timezone.now()
    run = FetchRun()
    _ensure_rows(now)
    limit = int(per_run if per_run is not None else _setting("RESULTS_PER_RUN", 10))
    due = list(
        BroadcastResult.objects.select_related("broadcast")
        .filter(next_fetch_at__lte=now)
        .exclude(state=BroadcastResult.State.FINAL)
        .order_by("fetched_at", "-broadcast__finished_at")[:limit]  # never fetched (NULL) first
    )
    for row in due:
        try:
            stats = _statistics(row.broadcast, now)
        except LineRateLimited as exc:
            wait = max(60.0, float(exc.retry_after or 0.0))
            BroadcastResult.objects.filter(pk=row.pk).update(next_fetch_at=now + timedelta(seconds=wait), error="429")
            run.rate_limited = True
            break  # the bucket is shared: the rest waits for the next run
        except (LineTemporaryError, LineRejected) as exc:
            attempts = row.attempts + 1
            delay = timedelta(minutes=min(360, 5 * 2**attempts))
            BroadcastResult.objects.filter(pk=row.pk).update(attempts=attempts, next_fetch_at=now + delay, error=str(exc)[:200])
            run.errors += 1
            continue
        if not stats.ready:
            BroadcastResult.objects.filter(pk=row.pk).update(next_fetch_at=now + NOT_READY_RETRY, error="")
            run.not_ready += 1
            continue
        _store(row, stats, now)
        run.fetched += 1
    if not run.rate_limited:
        run.followers_days = followers_fetch(now=now)
    return run


def followers_fetch(*, now: datetime | None = None, days: int = 30, per_run: int = 3) -> int:
    """Friends of the days LINE has counted (yesterday back to ``days`` ago) not stored yet,
    most recent first, ``per_run`` at most (the followers bucket is 50 an hour)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    have = set(FriendsDay.objects.filter(day__gte=today - timedelta(days=days)).values_list("day", flat=True))
    stored = 0
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        if day in have:
            continue
        if stored >= per_run:
            break
        try:
            answer = insights.followers(day)
        except LineRateLimited:
            break
        except (LineTemporaryError, LineRejected):
            break
        if answer.status == "out_of_service":
            break
        if not answer.ready:
            continue
        FriendsDay.objects.update_or_create(
            day=day,
            defaults={"followers": answer.followers, "targeted_reaches": answer.targeted_reaches,
                      "blocks": answer.blocks, "fetched_at": now},
        )  # fmt: skip
        stored += 1
    return stored


# -- showing (selectors) ---------------------------------------------------------------------


def rate(part: int | None, whole: int | None) -> float | None:
    """A percentage (one decimal) of two rounded figures; None when either is under 50."""
    if part is None or whole is None or whole <= 0:
        return None
    return min(100.0, round(100.0 * part / whole, 1))


def rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


class Rates:
    """The open and click rates of the (rounded) figures, and as a page prints them."""

    delivered: int | None
    opened: int | None
    clicked: int | None

    @property
    def open_rate(self) -> float | None:
        return rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float | None:
        return rate(self.clicked, self.delivered)

    @property
    def open_rate_text(self) -> str:
        return rate_text(self.open_rate)

    @property
    def click_rate_text(self) -> str:
        return rate_text(self.click_rate)


@dataclass
class Line:
    label: str
    figure: int | None
    text: str
    rate: float | None
    rate_text: str
    url: str = ""


@dataclass
class Results(Rates):
    state: str  # none / waiting / ready / final
    state_text: str
    delivered: int | None = None
    delivered_text: str = ""
    opened: int | None = None
    opened_text: str = ""
    clicked: int | None = None
    clicked_text: str = ""
    bubbles: list[Line] = field(default_factory=list)
    urls: list[Line] = field(default_factory=list)
    fetched_at: datetime | None = None


def _delivered_figure(broadcast: Broadcast, row: BroadcastResult, done_share: float) -> int | None:
    if broadcast.is_emergency:
        return privacy.figure(row.delivered)
    noisy = privacy.sent_total(broadcast)
    return privacy.figure(noisy * done_share) if noisy is not None else None


def _done_share(broadcast_id: int) -> float:
    counts = Batch.objects.filter(broadcast_id=broadcast_id).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=Batch.Status.DONE))
    )
    return counts["done"] / counts["total"] if counts["total"] else 0.0


def broadcast_results(*, broadcast: Broadcast, done_share: float | None = None) -> Results:
    """The results of a sent broadcast as shown (no figure under 50)."""
    if broadcast.status not in SENT:
        return Results(state="none", state_text="")
    row = BroadcastResult.objects.filter(broadcast=broadcast).first()
    if row is None or row.fetched_at is None:
        return Results(state="waiting", state_text=_("LINEで集計中です（配信完了の後、しばらくして表示されます）"))
    share = done_share if done_share is not None else _done_share(broadcast.pk)
    delivered = _delivered_figure(broadcast, row, share)
    opened, clicked = privacy.figure(row.opened), privacy.figure(row.clicked)
    bubbles = []
    for item in row.per_bubble:
        fig = privacy.figure(item.get("opened"))
        bubbles.append(Line(_("吹き出し%(seq)s") % {"seq": item.get("seq")}, fig, privacy.figure_text(fig),
                            rate(fig, delivered), rate_text(rate(fig, delivered))))  # fmt: skip
    urls = []
    for item in row.per_url:
        fig = privacy.figure(item.get("clicked"))
        urls.append(Line(_("吹き出し%(seq)s") % {"seq": item.get("seq")}, fig, privacy.figure_text(fig),
                         rate(fig, delivered), rate_text(rate(fig, delivered)), url=str(item.get("url") or "")))  # fmt: skip
    return Results(
        state=row.state,
        state_text=row.get_state_display(),
        delivered=delivered,
        delivered_text=privacy.figure_text(delivered),
        opened=opened,
        opened_text=privacy.figure_text(opened),
        clicked=clicked,
        clicked_text=privacy.figure_text(clicked),
        bubbles=bubbles,
        urls=urls,
        fetched_at=row.fetched_at,
    )


def results_api(*, broadcast: Broadcast) -> dict[str, Any]:
    """The API's ``results``: rounded figures (null under 50) with their texts, rates."""
    r = broadcast_results(broadcast=broadcast)

    def line(item: Line) -> dict[str, Any]:
        out = {"label": item.label, "figure": item.figure, "text": item.text, "rate": item.rate}
        if item.url:
            out["url"] = item.url
        return out

    return {
        "state": r.state,
        "state_text": r.state_text,
        "delivered": r.delivered,
        "delivered_text": r.delivered_text,
        "opened": r.opened,
        "opened_text": r.opened_text,
        "clicked": r.clicked,
        "clicked_text": r.clicked_text,
        "open_rate": r.open_rate,
        "click_rate": r.click_rate,
        "bubbles": [line(b) for b in r.bubbles],
        "urls": [line(u) for u in r.urls],
        "fetched_at": r.fetched_at.isoformat() if r.fetched_at else None,
    }


# -- the dashboard ---------------------------------------------------------------------------


@dataclass
class Month(Rates):
    month: date
    sends: int  # broadcasts (not residents)
    delivered: int | None
    opened: int | None
    clicked: int | None

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def delivered_text(self) -> str:
        return privacy.figure_text(self.delivered) if self.sends else "—"

    @property
    def opened_text(self) -> str:
        return privacy.figure_text(self.opened) if self.sends else "—"

    @property
    def clicked_text(self) -> str:
        return privacy.figure_text(self.clicked) if self.sends else "—"


@dataclass
class FriendsPoint:
    day: date
    followers: int | None
    followers_text: str
    blocks: int | None
    blocks_text: str
    reachable: int | None
    reachable_text: str


def months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _i in range(count):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def monthly_sends(*, months: int = 12, today: date | None = None) -> list[Month]:
    """Sends per month (finished broadcasts) with their summed results, rounded (2 queries)."""
    today = today or timezone.localdate()
    starts = months_back(today, months)
    sums: dict[date, dict[str, float]] = {m: {"sends": 0, "delivered": 0.0, "opened": 0.0, "clicked": 0.0} for m in starts}
    rows = (
        Broadcast.objects.filter(status__in=SENT, finished_at__date__gte=starts[0])
        .annotate(total=Count("batches"), done=Count("batches", filter=Q(batches__status=Batch.Status.DONE)))
        .select_related("result")
    )
    for b in rows:
        month = timezone.localdate(b.finished_at).replace(day=1)
        if month not in sums:
            continue
        s = sums[month]
        s["sends"] += 1
        result = getattr(b, "result", None)
        if b.is_emergency:
            s["delivered"] += float(result.delivered or 0) if result else 0.0
        elif b.recipients_noisy is not None and b.total:
            s["delivered"] += b.recipients_noisy * b.done / b.total
        if result is not None:
            s["opened"] += float(result.opened or 0)
            s["clicked"] += float(result.clicked or 0)
    return [
        Month(m, int(s["sends"]), privacy.figure(s["delivered"]), privacy.figure(s["opened"]), privacy.figure(s["clicked"]))
        for m, s in sums.items()
    ]


def friends_series(*, days: int = 90, today: date | None = None) -> list[FriendsPoint]:
    """LINE's friends per day (followers, blocks, targeted reaches), rounded (1 query)."""
    today = today or timezone.localdate()
    out = []
    for row in FriendsDay.objects.filter(day__gte=today - timedelta(days=days)).order_by("day"):
        f, b, t = privacy.figure(row.followers), privacy.figure(row.blocks), privacy.figure(row.targeted_reaches)
        out.append(FriendsPoint(row.day, f, privacy.figure_text(f), b, privacy.figure_text(b), t, privacy.figure_text(t)))
    return out
