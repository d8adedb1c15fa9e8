"""The recurrence rule of a series: which dates it sends on, which it skips and why.

Pure functions on a :class:`Rule` (no database): the beat job, the preview, the calendar
and the tests all read the dates from :func:`planned`. The dates themselves come from
python-dateutil's ``rrule`` (RFC 5545), the skips are ours:

- 除外日 (dates staff listed), 年末年始 (12/29–1/3) and national holidays (jpholiday), each
  optional, are skipped with the reason staff read on the preview;
- 回数 (``count``) counts the dates actually sent: a skipped date does not use one up;
- 毎月 on a date a month lacks (31日 in June) falls on that month's last day;
- 第5曜日 (or any 第N) in a month without one is simply absent that month.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dateutil import rrule  # type: ignore[import-untyped]  # no stubs in requirements-dev
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DAILY = "daily"
WEEKLY = "weekly"
MONTHLY_DAY = "monthly_day"
MONTHLY_NTH = "monthly_nth"
MONTH_END = "month_end"
EVERY_N_DAYS = "every_n_days"

FREQUENCIES = (
    (DAILY, gettext_lazy("毎日")),
    (WEEKLY, gettext_lazy("毎週（曜日を選ぶ）")),
    (MONTHLY_DAY, gettext_lazy("毎月（日付を選ぶ）")),
    (MONTHLY_NTH, gettext_lazy("毎月（第何曜日かを選ぶ）")),
    (MONTH_END, gettext_lazy("毎月 月末")),
    (EVERY_N_DAYS, gettext_lazy("○日ごと")),
)
# The rules whose dates depend on weekdays (each area chooses its own).
BY_WEEKDAY = frozenset({WEEKLY, MONTHLY_NTH})

WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")
NTH_CHOICES = ((1, gettext_lazy("第1")), (2, gettext_lazy("第2")), (3, gettext_lazy("第3")), (4, gettext_lazy("第4")),
               (5, gettext_lazy("第5")), (-1, gettext_lazy("最終")))  # fmt: skip
YEAR_END = ((12, 29), (1, 3))  # 年末年始: 12月29日〜1月3日

# How far ahead the engine looks at most (a rule that never sends stops here).
HORIZON_DAYS = 366 * 10

_DATE = re.compile(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?")


def weekday_label(weekday: int) -> str:
    return _(WEEKDAYS[weekday])


@dataclass(frozen=True)
class Rule:
    """When a series (for one area) sends. ``weekdays``: 0 = 月 … 6 = 日 (weekly, and the
    weekday of 第N曜日); ``interval``: N of ○日ごと; ``month_day``: 1–31; ``nth``: 1–5, -1 = 最終."""

    frequency: str
    start: dt.date
    send_time: dt.time = dt.time(7, 0)
    weekdays: tuple[int, ...] = ()
    interval: int = 1
    month_day: int | None = None
    nth: int | None = None
    end: dt.date | None = None
    count: int | None = None
    skip_holidays: bool = False
    skip_year_end: bool = False
    exclusions: frozenset[dt.date] = field(default_factory=frozenset)

    def problems(self) -> list[str]:
        """What is missing or wrong, in staff's words (empty: the rule is usable)."""
        found: list[str] = []
        if self.frequency not in dict(FREQUENCIES):
            found.append(_("繰り返し方を選んでください。"))
        if self.frequency in BY_WEEKDAY and not self.weekdays:
            found.append(_("曜日を1つ以上選んでください。"))
        if any(not 0 <= d <= 6 for d in self.weekdays):
            found.append(_("曜日の指定が正しくありません。"))
        if self.frequency == MONTHLY_DAY and not (self.month_day and 1 <= self.month_day <= 31):
            found.append(_("毎月の日付は1〜31日から選んでください。"))
        if self.frequency == MONTHLY_NTH and self.nth not in {1, 2, 3, 4, 5, -1}:
            found.append(_("第何曜日かを選んでください。"))
        if self.frequency == EVERY_N_DAYS and not 1 <= self.interval <= 365:
            found.append(_("何日ごとかは1〜365日で指定してください。"))
        if self.end is not None and self.end < self.start:
            found.append(_("終了日は開始日より後にしてください。"))
        if self.count is not None and not 1 <= self.count <= 1000:
            found.append(_("回数は1〜1000回で指定してください。"))
        return found


@dataclass(frozen=True)
class Planned:
    """One date of the rule: sent on (``skipped`` empty) or skipped, and why."""

    date: dt.date
    skipped: str = ""

    @property
    def sends(self) -> bool:
        return not self.skipped


def _rrule(rule: Rule) -> rrule.rrule:
    start = dt.datetime.combine(rule.start, dt.time())
    until = dt.datetime.combine(rule.end, dt.time()) if rule.end else None
    common = {"dtstart": start, "until": until, "cache": False}
    days = [rrule.weekday(d) for d in sorted(set(rule.weekdays))]
    if rule.frequency == DAILY:
        return rrule.rrule(rrule.DAILY, **common)
    if rule.frequency == EVERY_N_DAYS:
        return rrule.rrule(rrule.DAILY, interval=max(1, rule.interval), **common)
    if rule.frequency == WEEKLY:
        return rrule.rrule(rrule.WEEKLY, byweekday=days, **common)
    if rule.frequency == MONTHLY_NTH:
        nth = rule.nth or 1
        return rrule.rrule(rrule.MONTHLY, byweekday=[d(nth) for d in days], **common)
    if rule.frequency == MONTH_END:
        return rrule.rrule(rrule.MONTHLY, bymonthday=-1, **common)
    if rule.frequency == MONTHLY_DAY:
        day = rule.month_day or 1
        if day <= 28:
            return rrule.rrule(rrule.MONTHLY, bymonthday=day, **common)
        # 29–31: the last of the days 28…day the month has (its last day when shorter).
        return rrule.rrule(rrule.MONTHLY, bymonthday=list(range(28, day + 1)), bysetpos=-1, **common)
    raise ValueError(rule.frequency)


def in_year_end(date: dt.date) -> bool:
    (from_month, from_day), (to_month, to_day) = YEAR_END
    return (date.month, date.day) >= (from_month, from_day) or (date.month, date.day) <= (to_month, to_day)


@functools.lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[dt.date, str]:
    import jpholiday

    return dict(jpholiday.year_holidays(year))


def holiday_name(date: dt.date) -> str:
    """The national holiday on ``date`` (jpholiday), or ""."""
    return _holidays_of(date.year).get(date, "")


def skip_reason(rule: Rule, date: dt.date) -> str:
    """Why ``date`` is skipped ("" when it is not)."""
    if date in rule.exclusions:
        return _("除外日")
    if rule.skip_year_end and in_year_end(date):
        return _("年末年始（12月29日〜1月3日）")
    if rule.skip_holidays:
        name = holiday_name(date)
        if name:
            return _("祝日（%(name)s）") % {"name": name}
    return ""


def planned(
    rule: Rule, *, since: dt.date | None = None, until: dt.date | None = None, limit: int | None = None
) -> Iterator[Planned]:
    """The rule's dates in order from ``since`` (default: its start) to ``until`` (default:
    its end, or ``HORIZON_DAYS`` ahead), skipped ones included with their reason; at most
    ``limit`` of them. ``count`` is counted from the rule's start, whatever ``since`` is."""
    last = rule.start + dt.timedelta(days=HORIZON_DAYS)
    if rule.end is not None:
        last = min(last, rule.end)
    if until is not None:
        last = min(last, until)
    sent = given = 0
    for moment in _rrule(rule):
        date = moment.date()
        if date > last:
            return
        reason = skip_reason(rule, date)
        if not reason:
            if rule.count is not None and sent >= rule.count:
                return
            sent += 1
        if since is not None and date < since:
            continue
        yield Planned(date, reason)
        given += 1
        if limit is not None and given >= limit:
            return


def send_dates(rule: Rule, *, since: dt.date | None = None, until: dt.date | None = None) -> list[dt.date]:
    """The dates the rule sends on (skips left out)."""
    return [p.date for p in planned(rule, since=since, until=until) if p.sends]


def upcoming(rule: Rule, *, today: dt.date, sends: int = 10) -> list[Planned]:
    """From ``today``: the next ``sends`` send dates, and the skipped dates among them."""
    found: list[Planned] = []
    count = 0
    for p in planned(rule, since=today):
        found.append(p)
        count += p.sends
        if count >= sends:
            break
    return found


def describe(rule: Rule) -> str:
    """The rule in staff's words: 「毎週 月・木 7:00」, 「毎月 第2火曜日 7:00」."""
    when = f"{rule.send_time.hour}:{rule.send_time.minute:02d}"
    days = "・".join(weekday_label(d) for d in sorted(set(rule.weekdays)))
    if rule.frequency == DAILY:
        text = _("毎日 %(time)s") % {"time": when}
    elif rule.frequency == WEEKLY:
        text = _("毎週 %(days)s %(time)s") % {"days": days, "time": when}
    elif rule.frequency == MONTHLY_DAY:
        text = _("毎月 %(day)s日 %(time)s") % {"day": rule.month_day, "time": when}
    elif rule.frequency == MONTHLY_NTH:
        nth = str(dict(NTH_CHOICES).get(rule.nth or 1, ""))
        text = _("毎月 %(nth)s%(days)s曜日 %(time)s") % {"nth": nth, "days": days, "time": when}
    elif rule.frequency == MONTH_END:
        text = _("毎月 月末 %(time)s") % {"time": when}
    else:
        text = _("%(n)s日ごと %(time)s") % {"n": rule.interval, "time": when}
    return text


def describe_skips(rule: Rule) -> list[str]:
    """What the rule leaves out, for the series' page."""
    notes: list[str] = []
    if rule.skip_holidays:
        notes.append(_("祝日は送らない"))
    if rule.skip_year_end:
        notes.append(_("年末年始（12月29日〜1月3日）は送らない"))
    if rule.exclusions:
        notes.append(_("除外日 %(count)s日") % {"count": len(rule.exclusions)})
    return notes


def parse_dates(values: Iterable[str]) -> tuple[list[dt.date], list[str]]:
    """ISO dates (one per line or comma separated) → dates, and the entries not understood."""
    dates: list[dt.date] = []
    bad: list[str] = []
    for value in values:
        for part in str(value).replace("、", ",").replace("\n", ",").split(","):
            text = part.strip()
            if not text:
                continue
            match = _DATE.fullmatch(text)
            try:
                if match is None:
                    raise ValueError(text)
                dates.append(dt.date(int(match[1]), int(match[2]), int(match[3])))
            except ValueError:
                bad.append(text)
    return sorted(set(dates)), bad
