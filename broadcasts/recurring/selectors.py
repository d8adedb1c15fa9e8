"""Reads for recurring broadcasts: lists, what each area's schedule will send next (and
what it skips, and why), the calendar, each area's estimate (from the privacy module)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from broadcasts import privacy
from broadcasts.selectors import Segment

from . import rules
from .models import AreaSchedule, Occurrence, Series

S = Series.Status
O = Occurrence.Status  # noqa: E741 - the occurrence's statuses, as S is the series'

# States whose schedule is live (the beat job looks at them; pages show their next dates).
RUNNING = frozenset({S.ACTIVE, S.PAUSED})


def _active_schedules() -> Prefetch[str]:
    return Prefetch(
        "schedules",
        queryset=AreaSchedule.objects.filter(is_active=True).select_related("area").order_by("position", "pk"),
        to_attr="active_schedules",
    )


def series_list(*, status: str | None = None) -> QuerySet[Series]:
    """Newest first, with their areas (one more query for the whole list)."""
    qs = Series.objects.select_related("author", "approver").prefetch_related(_active_schedules())
    if status:
        qs = qs.filter(status=status)
    return qs


def schedules_of(series: Series) -> list[AreaSchedule]:
    """The series' areas in order (the list's prefetch when there is one)."""
    cached = getattr(series, "active_schedules", None)
    if cached is not None:
        return list(cached)
    return list(series.schedules.filter(is_active=True).select_related("area").order_by("position", "pk"))


def segment_of(series: Series, schedule: AreaSchedule) -> Segment:
    """Who one area's message goes to: that area's residents, AND the series' other conditions."""
    return Segment.build(
        everyone=False, area_ids=[schedule.area_id], age_bands=series.age_bands or (), interest_ids=series.interest_ids or ()
    )


def series_version(series: Series) -> str:
    """A hash of everything an approver approves (the rule, its skips, the conditions, each
    area's days and message, the title): the approval names the version it reviewed, and
    nothing but the approved version is ever sent."""
    data = {
        "title": series.title,
        "rule": [
            series.frequency,
            series.interval,
            series.month_day,
            series.nth,
            series.start_date.isoformat() if series.start_date else None,
            series.end_date.isoformat() if series.end_date else None,
            series.count,
            series.send_time.strftime("%H:%M") if series.send_time else None,
            series.skip_holidays,
            series.skip_year_end,
            sorted(series.exclusion_dates or []),
        ],
        "age_bands": sorted(series.age_bands or []),
        "interest_ids": sorted(series.interest_ids or []),
        "areas": [[s.area_id, sorted(s.weekdays or []), s.text] for s in sorted(schedules_of(series), key=lambda s: s.area_id)],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def today() -> dt.date:
    return timezone.localdate()


def send_at(series: Series, date: dt.date) -> dt.datetime:
    """When the occurrence of ``date`` is due (the series' time, local)."""
    return timezone.make_aware(dt.datetime.combine(date, series.send_time))


def next_send(*, series: Series, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the series next sends to any area (None: its rule has no date left)."""
    now = timezone.localtime(now)
    found: dt.datetime | None = None
    for schedule in schedules_of(series):
        rule = series.rule_for(schedule)
        if rule.problems():
            continue
        for planned in rules.planned(rule, since=now.date()):
            when = send_at(series, planned.date)
            if found is not None and when >= found:
                break
            if planned.sends and when > now:
                found = when
                break
    return found


@dataclass
class Upcoming:
    """One area's next dates: each sent on, or skipped with why."""

    schedule: AreaSchedule
    rule_text: str
    # Staff's skips already recorded show as skipped, with that reason.
    dates: list[rules.Planned] = field(default_factory=list)


def upcoming(*, series: Series, sends: int = 10, since: dt.date | None = None) -> list[Upcoming]:
    """Per area: the next ``sends`` send dates from ``since`` (today), with the skipped
    dates among them and their reasons; dates staff already skipped are marked (one query)."""
    start = since or today()
    schedules = schedules_of(series)
    taken: dict[tuple[int, dt.date], str] = {}
    if series.pk:
        for schedule_id, date, status in Occurrence.objects.filter(series=series, date__gte=start).values_list(
            "schedule_id", "date", "status"
        ):
            if status != O.SENT:
                taken[(schedule_id, date)] = str(O(status).label)
    result = []
    for schedule in schedules:
        rule = series.rule_for(schedule)
        if rule.problems():
            result.append(Upcoming(schedule=schedule, rule_text=""))
            continue
        dates = rules.upcoming(rule, today=start, sends=sends)
        dates = [rules.Planned(p.date, taken.get((schedule.pk, p.date), p.skipped)) for p in dates]
        result.append(Upcoming(schedule=schedule, rule_text=rules.describe(rule), dates=dates))
    return result


def estimates(*, series: Series) -> dict[int, str]:
    """Each area schedule's reach, in words from the privacy release (「約1,200人」, 「50人未満」)."""
    schedules = schedules_of(series)
    found = privacy.estimates([segment_of(series, s) for s in schedules])
    return {s.area_id: e.text for s, e in zip(schedules, found, strict=True)}


def occurrences(*, series: Series, limit: int = 100) -> list[Occurrence]:
    """The series' history, newest first, with each area and broadcast (one query)."""
    qs = Occurrence.objects.filter(series=series).select_related("schedule__area", "broadcast", "by")
    return list(qs.order_by("-date", "schedule__position", "pk")[:limit])


def occurrence_counts(*, series_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many occurrences of each status per series (one query for a list)."""
    counts: dict[int, dict[str, int]] = {pk: {} for pk in series_ids}
    rows = Occurrence.objects.filter(series_id__in=series_ids).values_list("series_id", "status").annotate(n=Count("id"))
    for series_id, status, n in rows.order_by():
        counts[series_id][status] = int(n)
    return counts


def pending_approval(*, user: Any) -> QuerySet[Series]:
    """Series waiting for this approver (not their own, not one they edited)."""
    from .models import SeriesEditor

    edited = SeriesEditor.objects.filter(user=user).values("series_id")
    return Series.objects.filter(status=S.PENDING).exclude(author=user).exclude(pk__in=edited).order_by("submitted_at", "pk")


@dataclass
class CalendarEntry:
    series: Series
    schedule: AreaSchedule
    date: dt.date
    skipped: str  # "" = it sends


@dataclass
class CalendarDay:
    date: dt.date | None  # None: a cell outside the month
    entries: list[CalendarEntry] = field(default_factory=list)
    is_today: bool = False


def month_calendar(*, year: int, month: int) -> list[list[CalendarDay]]:
    """The month's weeks (月曜始まり), each day with what the running series send (or skip)
    on it; dates already past show what was recorded. Two queries."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    now = today()
    series_rows = list(
        Series.objects.filter(status__in=RUNNING).select_related("author").prefetch_related(_active_schedules()).order_by("pk")
    )
    recorded = {
        (o.schedule_id, o.date): o
        for o in Occurrence.objects.filter(date__range=(first, last), series__in=series_rows).only(
            "schedule_id", "date", "status", "series_id"
        )
    }
    by_day: dict[dt.date, list[CalendarEntry]] = {}
    for series in series_rows:
        for schedule in schedules_of(series):
            rule = series.rule_for(schedule)
            if rule.problems():
                continue
            for p in rules.planned(rule, since=first, until=last):
                occ = recorded.get((schedule.pk, p.date))
                skipped = p.skipped
                if occ is not None and occ.status != O.SENT:
                    skipped = str(O(occ.status).label)
                elif occ is None and series.status == S.PAUSED and p.date >= now and not skipped:
                    skipped = str(S.PAUSED.label)
                by_day.setdefault(p.date, []).append(CalendarEntry(series, schedule, p.date, skipped))
    weeks: list[list[CalendarDay]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                CalendarDay(date=d, entries=by_day.get(d, []), is_today=d == now) if d.month == month else CalendarDay(date=None)
                for d in week
            ]
        )
    return weeks
