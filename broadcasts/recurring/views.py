"""Pages of recurring broadcasts (thin: parse, call a service or selector, render).

The action buttons (承認を申請, 承認する, 一時停止, 1回見送る, …) are not here: their POST
views are generated from the table (``workflow.py``, ``portal.workflow.page_urls``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Perm
from broadcasts import progress
from portal import access
from portal.errors import DomainError
from portal.line.models import AgeBand, Area, Interest
from portal.pages import refused_page

from . import rules, selectors, services
from .models import AreaSchedule, Occurrence, Series
from .workflow import WORKFLOW

if TYPE_CHECKING:
    from accounts.models import User

S = Series.Status


def _me(request: HttpRequest) -> User:
    return cast("User", request.user)


# -- list ------------------------------------------------------------------------------------


@access.require(Perm.VIEW_BROADCASTS)
def series_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in S.values:
        status = None
    rows = []
    now = timezone.localtime()
    for series in selectors.series_list(status=status)[:200]:
        schedules = selectors.schedules_of(series)
        rows.append(
            {
                "series": series,
                "areas": [(s.area.name, rules.describe(series.rule_for(s))) for s in schedules],
                "next": selectors.next_send(series=series, now=now) if series.status in selectors.RUNNING else None,
            }
        )
    return render(
        request,
        "recurring/list.html",
        {"rows": rows, "statuses": S.choices, "current_status": status},
    )


# -- compose ---------------------------------------------------------------------------------


@dataclass
class AreaRow:
    """One area on the compose form."""

    area: Area
    chosen: bool = False
    weekdays: list[int] = field(default_factory=list)
    text: str = ""


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.lstrip("-").isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def _time(value: str | None) -> dt.time | None:
    try:
        return dt.time.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def _initial(series: Series | None) -> dict[str, Any]:
    if series is None:
        start = timezone.localdate() + dt.timedelta(days=1)
        return {
            "title": "",
            "frequency": rules.WEEKLY,
            "interval": 7,
            "month_day": 1,
            "nth": 1,
            "start_date": start.isoformat(),
            "end_date": "",
            "count": "",
            "send_time": "07:00",
            "skip_holidays": True,
            "skip_year_end": True,
            "exclusions": "",
            "age_bands": [],
            "interest_ids": [],
        }
    return {
        "title": series.title,
        "frequency": series.frequency,
        "interval": series.interval,
        "month_day": series.month_day or 1,
        "nth": series.nth or 1,
        "start_date": series.start_date.isoformat(),
        "end_date": series.end_date.isoformat() if series.end_date else "",
        "count": series.count or "",
        "send_time": series.send_time.strftime("%H:%M"),
        "skip_holidays": series.skip_holidays,
        "skip_year_end": series.skip_year_end,
        "exclusions": "\n".join(series.exclusion_dates or []),
        "age_bands": list(series.age_bands or []),
        "interest_ids": list(series.interest_ids or []),
    }


def _area_rows(series: Series | None, post: Any = None) -> list[AreaRow]:
    existing = {s.area_id: s for s in selectors.schedules_of(series)} if series is not None else {}
    rows = []
    for area in Area.objects.filter(is_active=True).order_by("order", "pk"):
        if post is not None:
            key = f"area-{area.pk}"
            rows.append(
                AreaRow(
                    area=area,
                    chosen=post.get(f"{key}-on") == "1",
                    weekdays=sorted(
                        {d for d in (_int(v) for v in post.getlist(f"{key}-weekdays")) if d is not None and 0 <= d <= 6}
                    ),
                    text=post.get(f"{key}-text", ""),
                )
            )
        elif area.pk in existing:
            s = existing[area.pk]
            rows.append(AreaRow(area=area, chosen=True, weekdays=list(s.weekdays), text=s.text))
        else:
            rows.append(AreaRow(area=area))
    return rows


def _parse(post: Any) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The form's values (to show again), the service's arguments, and what is wrong."""
    errors: list[str] = []
    values = {
        "title": post.get("title", ""),
        "frequency": post.get("frequency", rules.WEEKLY),
        "interval": post.get("interval", ""),
        "month_day": _int(post.get("month_day")) or 1,
        "nth": _int(post.get("nth")) or 1,
        "start_date": post.get("start_date", ""),
        "end_date": post.get("end_date", ""),
        "count": post.get("count", ""),
        "send_time": post.get("send_time", ""),
        "skip_holidays": post.get("skip_holidays") == "1",
        "skip_year_end": post.get("skip_year_end") == "1",
        "exclusions": post.get("exclusions", ""),
        "age_bands": [b for b in post.getlist("age_bands") if b in AgeBand.values],
        "interest_ids": [i for i in (_int(v) for v in post.getlist("interest_ids")) if i],
    }
    start, end, send_time = _date(values["start_date"]), _date(values["end_date"]), _time(values["send_time"])
    if start is None:
        errors.append(_("開始日を入力してください。"))
    if values["end_date"] and end is None:
        errors.append(_("終了日の形式が正しくありません。"))
    if send_time is None:
        errors.append(_("配信時刻を入力してください。"))
    count = _int(str(values["count"]))
    if str(values["count"]).strip() and count is None:
        errors.append(_("回数は数字で入力してください。"))
    interval = _int(str(values["interval"])) or 0
    exclusions, bad = rules.parse_dates([values["exclusions"]])
    if bad:
        errors.append(_("除外日の「%(text)s」が日付として読めません（例: 2026-08-13）。") % {"text": "、".join(bad)})
    args = {
        "title": values["title"],
        "frequency": values["frequency"],
        "interval": interval,
        "month_day": values["month_day"],
        "nth": values["nth"],
        "start_date": start,
        "end_date": end,
        "count": count,
        "send_time": send_time,
        "skip_holidays": values["skip_holidays"],
        "skip_year_end": values["skip_year_end"],
        "exclusion_dates": exclusions,
        "age_bands": values["age_bands"],
        "interest_ids": values["interest_ids"],
    }
    return values, args, errors


def _preview(args: dict[str, Any], areas: list[AreaRow]) -> tuple[list[selectors.Upcoming], dict[int, str]]:
    """The next 10 dates per chosen area of what the form says (nothing saved)."""
    series = Series(
        title=args["title"],
        frequency=args["frequency"],
        interval=args["interval"] or 1,
        month_day=args["month_day"],
        nth=args["nth"],
        start_date=args["start_date"],
        end_date=args["end_date"],
        count=args["count"],
        send_time=args["send_time"],
        skip_holidays=args["skip_holidays"],
        skip_year_end=args["skip_year_end"],
        exclusion_dates=[d.isoformat() for d in args["exclusion_dates"]],
        age_bands=args["age_bands"],
        interest_ids=args["interest_ids"],
    )
    chosen = [AreaSchedule(area=row.area, weekdays=row.weekdays, text=row.text) for row in areas if row.chosen]
    series.active_schedules = chosen  # type: ignore[attr-defined]
    since = max(timezone.localdate(), args["start_date"])
    return selectors.upcoming(series=series, since=since), selectors.estimates(series=series)


def _compose(request: HttpRequest, series: Series | None) -> HttpResponse:
    errors: list[str] = []
    preview: list[selectors.Upcoming] | None = None
    estimates: dict[int, str] = {}
    if request.method == "POST":
        values, args, errors = _parse(request.POST)
        areas = _area_rows(series, request.POST)
        if not errors and "preview" in request.POST:
            rule_problems = series_rule_problems(args, areas)
            if rule_problems:
                errors = rule_problems
            else:
                preview, estimates = _preview(args, areas)
        elif not errors:
            plans = [services.AreaPlan(area_id=r.area.pk, weekdays=tuple(r.weekdays), text=r.text) for r in areas if r.chosen]
            try:
                saved = services.series_save(actor=_me(request), series=series, schedules=plans, ctx=_ctx(request), **args)
            except DomainError as exc:
                errors = [str(m) for m in exc.messages] or [str(exc.message)]
            else:
                if series is not None and saved.status == S.PENDING and series.status in selectors.RUNNING:
                    messages.warning(
                        request, _("保存しました。承認済の内容を変えたため承認待ちに戻りました。承認されるまで配信しません。")
                    )
                else:
                    messages.success(request, _("保存しました。"))
                return redirect("recurring:detail", pk=saved.pk)
    else:
        values, areas = _initial(series), _area_rows(series)
    context = {
        "series": series,
        "values": values,
        "areas": areas,
        "errors": errors,
        "preview": preview,
        "estimates": estimates,
        "frequencies": rules.FREQUENCIES,
        "weekdays": list(enumerate(rules.WEEKDAYS)),
        "nths": rules.NTH_CHOICES,
        "month_days": range(1, 32),
        "age_bands": AgeBand.choices,
        "interests": list(Interest.objects.filter(is_active=True).order_by("order", "pk")),
        "by_weekday": sorted(rules.BY_WEEKDAY),
    }
    return render(request, "recurring/compose.html", context, status=400 if errors else 200)


def series_rule_problems(args: dict[str, Any], areas: list[AreaRow]) -> list[str]:
    """What the preview cannot show yet (the same words the save would use)."""
    problems = rules.Rule(
        frequency=args["frequency"],
        start=args["start_date"],
        weekdays=(0,),
        interval=args["interval"] if args["frequency"] == rules.EVERY_N_DAYS else 1,
        month_day=args["month_day"],
        nth=args["nth"],
        end=args["end_date"],
        count=args["count"],
    ).problems()
    chosen = [r for r in areas if r.chosen]
    if not chosen:
        problems.append(_("配信する地域を1つ以上選んでください。"))
    for row in chosen:
        if args["frequency"] in rules.BY_WEEKDAY and not row.weekdays:
            problems.append(_("「%(area)s」の曜日を1つ以上選んでください。") % {"area": row.area.name})
    return problems


def _ctx(request: HttpRequest) -> Any:
    from portal.context import AuditContext

    return AuditContext.from_request(request)


@access.require(Perm.COMPOSE_BROADCAST)
def series_new(request: HttpRequest) -> HttpResponse:
    return _compose(request, None)


@access.require(Perm.COMPOSE_BROADCAST)
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_object_or_404(Series, pk=pk)
    return refused_page(request, WORKFLOW, "edit", series) or _compose(request, series)


# -- detail ----------------------------------------------------------------------------------


@access.require(Perm.VIEW_BROADCASTS)
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_object_or_404(selectors.series_list(), pk=pk)
    user = _me(request)
    history = selectors.occurrences(series=series)
    sent = [o.broadcast for o in history if o.broadcast is not None]
    reports = progress.progress_reports(sent) if sent else {}
    edited = series.editors.filter(user=user).exists()
    can = {a.name: WORKFLOW.can(a.name, series, user) for a in WORKFLOW.actions}
    can["approve"] = can["approve"] and series.author_id != user.pk and not edited
    can["return"] = can["return"] and series.author_id != user.pk and not edited
    schedules = selectors.schedules_of(series)
    rule = series.rule_for(schedules[0] if schedules else None)
    context = {
        "series": series,
        "schedules": [(s, rules.describe(series.rule_for(s))) for s in schedules],
        "estimates": selectors.estimates(series=series),
        "upcoming": selectors.upcoming(series=series) if series.status not in {S.ENDED} else [],
        "skips": rules.describe_skips(rule),
        "exclusions": sorted(series.exclusions()),
        "segment": {
            "age_bands": [str(dict(AgeBand.choices).get(b, b)) for b in series.age_bands],
            "interests": list(Interest.objects.filter(pk__in=series.interest_ids).values_list("name", flat=True)),
        },
        "history": [(o, reports.get(o.broadcast_id) if o.broadcast_id else None) for o in history],
        "comments": list(series.comments.select_related("author")),
        "version": selectors.series_version(series),
        "can": can,
        "edited_by_me": edited or series.author_id == user.pk,
        "may_approve": WORKFLOW.can("approve", series, user),
        "next_send": selectors.next_send(series=series) if series.status in selectors.RUNNING else None,
        "today": timezone.localdate(),
        "has_actions": any(can.values()),
        "sent_status": Occurrence.Status.SENT,
    }
    return render(request, "recurring/detail.html", context)


# -- calendar --------------------------------------------------------------------------------


@access.require(Perm.VIEW_BROADCASTS)
def calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year, month = today.year, today.month
    wanted = request.GET.get("month", "")
    if len(wanted) == 7 and wanted[4] == "-" and wanted[:4].isdigit() and wanted[5:].isdigit():
        y, m = int(wanted[:4]), int(wanted[5:])
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            year, month = y, m
    first = dt.date(year, month, 1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    weeks = selectors.month_calendar(year=year, month=month)
    return render(
        request,
        "recurring/calendar.html",
        {
            "weeks": weeks,
            "month": first,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "weekdays": rules.WEEKDAYS,
            "has_entries": any(day.entries for week in weeks for day in week),
        },
    )
