"""Writes for recurring broadcasts: compose a series, its approval life cycle (the table in
``workflow.py``), and the beat job that turns each due date into a broadcast, once.

Each occurrence is an ordinary broadcast (to that area's residents, AND the series' other
conditions, with that area's message), approved through the series' approval, and goes
through the same two gates as any broadcast: ``broadcasts.services.ensure_minimum`` (an
area under 50 is not sent; the occurrence records why) and the fan-out
(``broadcasts/fanout.py``: the snapshot, retry keys, exactly once per resident).

Exactly once per (series, area, date): the beat job records the occurrence under the
series' row lock and a unique constraint on (series, area schedule, date), in the same
transaction that creates its broadcast; a second run — or a second beat process — finds
the row and sends nothing (tests/recurring/test_beat.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import audit_record
from broadcasts import services as broadcast_services
from broadcasts.approval import Approval
from broadcasts.models import TEXT_MAX, Broadcast, BroadcastEditor, Bubble
from portal.context import AuditContext
from portal.errors import DomainError
from portal.errors import NotAllowed as NotAllowed  # the four-eyes refusal its callers catch (broadcasts.approval raises it)
from portal.line import chat as line_chat
from portal.line.models import AgeBand, Area, Interest

from . import audit as actions
from . import rules, selectors
from .models import AreaSchedule, Occurrence, Series, SeriesComment, SeriesEditor

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

S = Series.Status
O = Occurrence.Status  # noqa: E741

MAX_AREAS = 50

APPROVAL = Approval(
    model=Series,
    field="series",
    comments=SeriesComment,
    editors=SeriesEditor,
    workflow_module="broadcasts.recurring.workflow",
    not_allowed=gettext_lazy("定期配信を承認する権限がありません。"),
    own_draft=gettext_lazy("自分が起案した定期配信は承認できません。"),
    edited=gettext_lazy("自分が編集した定期配信は承認できません（ほかの承認者に依頼してください）。"),
    no_version=gettext_lazy("承認する内容の版（version）が指定されていません。詳細ページから承認してください。"),
    changed=gettext_lazy("確認した後に定期配信の内容が変更されています。最新の内容をもう一度確認してから承認してください。"),
)


def _lock(series: Series) -> Series:
    return Series.objects.select_for_update().get(pk=series.pk)


def _require(action: str, series: Series) -> None:
    from .workflow import WORKFLOW

    WORKFLOW.require(action, series)


def _audit(action: str, *, actor: User | None, series: Series, ctx: AuditContext | None = None, **detail: Any) -> None:
    audit_record(action=action, actor=actor, ctx=ctx, target=series, detail=detail)


def _audit_system(action: str, *, series: Series, detail: dict[str, Any]) -> None:
    audit_record(action=action, actor=None, target=series, detail=detail)


# -- compose -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaPlan:
    """One area's part of a series as staff entered it."""

    area_id: int
    text: str
    weekdays: tuple[int, ...] = ()


def _clean_schedules(frequency: str, schedules: Sequence[AreaPlan]) -> list[AreaPlan]:
    if not schedules:
        raise DomainError(_("配信する地域を1つ以上選んでください。"), code="no_areas")
    if len(schedules) > MAX_AREAS:
        raise DomainError(_("地域は%(max)s件までです。") % {"max": MAX_AREAS}, code="too_many_areas")
    areas = dict(Area.objects.filter(pk__in=[p.area_id for p in schedules], is_active=True).values_list("pk", "name"))
    seen: set[int] = set()
    cleaned: list[AreaPlan] = []
    problems: list[str] = []
    for plan in schedules:
        name = areas.get(plan.area_id)
        if name is None:
            problems.append(_("選んだ地域が見つかりません。"))
            continue
        if plan.area_id in seen:
            problems.append(_("「%(area)s」が2回選ばれています。") % {"area": name})
            continue
        seen.add(plan.area_id)
        text = (plan.text or "").strip()
        if not text:
            problems.append(_("「%(area)s」のメッセージを入力してください。") % {"area": name})
        elif line_chat.text_length(text) > TEXT_MAX:
            problems.append(_("「%(area)s」のメッセージは%(max)s文字以内にしてください。") % {"area": name, "max": TEXT_MAX})
        weekdays = tuple(sorted({int(d) for d in plan.weekdays if 0 <= int(d) <= 6}))
        if frequency in rules.BY_WEEKDAY and not weekdays:
            problems.append(_("「%(area)s」の曜日を1つ以上選んでください。") % {"area": name})
        cleaned.append(AreaPlan(area_id=plan.area_id, text=text, weekdays=weekdays if frequency in rules.BY_WEEKDAY else ()))
    if problems:
        raise DomainError(" ".join(problems), code="bad_areas", messages=problems)
    return cleaned


@transaction.atomic
def series_save(
    *,
    actor: User,
    series: Series | None = None,
    title: str,
    frequency: str,
    start_date: dt.date,
    send_time: dt.time,
    schedules: Sequence[AreaPlan],
    interval: int = 1,
    month_day: int | None = None,
    nth: int | None = None,
    end_date: dt.date | None = None,
    count: int | None = None,
    skip_holidays: bool = True,
    skip_year_end: bool = True,
    exclusion_dates: Sequence[dt.date] = (),
    age_bands: Sequence[str] = (),
    interest_ids: Sequence[int] = (),
    ctx: AuditContext | None = None,
) -> Series:
    """Create or edit a series. Editing one that was approved (有効・一時停止) sends it back to
    承認待ち: nothing is sent until the new version is approved, by someone who did not edit it."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("管理用タイトルを入力してください。"), code="title_required")
    rule = rules.Rule(
        frequency=frequency,
        start=start_date,
        send_time=send_time,
        weekdays=(0,) if frequency in rules.BY_WEEKDAY else (),  # checked per area below
        interval=interval if frequency == rules.EVERY_N_DAYS else 1,
        month_day=month_day if frequency == rules.MONTHLY_DAY else None,
        nth=nth if frequency == rules.MONTHLY_NTH else None,
        end=end_date,
        count=count,
    )
    problems = rule.problems()
    if problems:
        raise DomainError(" ".join(problems), code="bad_rule", messages=problems)
    cleaned = _clean_schedules(frequency, schedules)
    creating = series is None
    if series is None:
        series = Series(author=actor, status=S.DRAFT)
        previous: str = S.DRAFT
    else:
        series = _lock(series)
        _require("edit", series)
        previous = series.status
    series.title = title[:80]
    series.frequency = frequency
    series.interval = rule.interval
    series.month_day = rule.month_day
    series.nth = rule.nth
    series.start_date = start_date
    series.end_date = end_date
    series.count = count
    series.send_time = send_time.replace(second=0, microsecond=0)
    series.skip_holidays = bool(skip_holidays)
    series.skip_year_end = bool(skip_year_end)
    series.exclusion_dates = sorted({d.isoformat() for d in exclusion_dates})
    series.age_bands = sorted({str(b) for b in age_bands if str(b) in AgeBand.values})
    series.interest_ids = sorted(set(Interest.objects.filter(pk__in=list(interest_ids)).values_list("pk", flat=True)))
    if previous in selectors.RUNNING or previous == S.PENDING:
        # What was approved (or is being reviewed) changed: approval is needed again.
        series.status = S.PENDING
        series.submitted_at = timezone.now()
    series.approver = None
    series.approved_at = None
    series.approved_version = ""
    series.save()
    _save_schedules(series, cleaned)
    SeriesEditor.objects.get_or_create(series=series, user=actor)
    if creating:
        _audit(actions.CREATED, actor=actor, series=series, ctx=ctx)
    else:
        _audit(actions.EDITED, actor=actor, series=series, ctx=ctx, previous_status=previous, status=series.status)
    return series


def _save_schedules(series: Series, plans: list[AreaPlan]) -> None:
    """Each area's row kept (its occurrences point at it), updated or deactivated."""
    existing = {s.area_id: s for s in AreaSchedule.objects.filter(series=series)}
    wanted = {p.area_id for p in plans}
    for position, plan in enumerate(plans):
        row = existing.get(plan.area_id) or AreaSchedule(series=series, area_id=plan.area_id)
        row.text, row.weekdays, row.position, row.is_active = plan.text, list(plan.weekdays), position, True
        row.save()
    for area_id, row in existing.items():
        if area_id in wanted:
            continue
        if row.occurrences.exists():
            AreaSchedule.objects.filter(pk=row.pk).update(is_active=False)
        else:
            row.delete()
    if hasattr(series, "active_schedules"):
        del series.active_schedules


# -- approval life cycle -------------------------------------------------------------------


def _require_sends(series: Series) -> None:
    """A series with no date left to send on is not worth approving."""
    if selectors.next_send(series=series) is None:
        raise DomainError(
            _("この条件では、これから配信する日がありません（終了日・回数・除外日を確かめてください）。"), code="no_dates"
        )


@transaction.atomic
def series_submit(*, series: Series, actor: User, ctx: AuditContext | None = None) -> Series:
    """承認申請."""
    series = _lock(series)
    _require("submit", series)
    if not selectors.schedules_of(series):
        raise DomainError(_("配信する地域を1つ以上選んでください。"), code="no_areas")
    _require_sends(series)
    return APPROVAL.submitted(series, actor=actor, ctx=ctx, audit_action=actions.SUBMITTED)


@transaction.atomic
def series_approve(*, series: Series, approver: User, version: str, comment: str = "", ctx: AuditContext | None = None) -> Series:
    """承認 of the version the approver reviewed: from now on each due date is sent."""
    series = _lock(series)
    APPROVAL.check_approver(series, approver)
    _require("approve", series)
    current = selectors.series_version(series)
    APPROVAL.check_version(version, current)
    _require_sends(series)
    series.status = S.ACTIVE
    series.approver = approver
    series.approved_at = timezone.now()
    series.approved_version = current
    series.save(update_fields=["status", "approver", "approved_at", "approved_version", "updated_at"])
    if comment.strip():
        APPROVAL.comment(series, author=approver, action="approved", body=comment)
    _audit(actions.APPROVED, actor=approver, series=series, ctx=ctx, version=current)
    return series


@transaction.atomic
def series_return(*, series: Series, approver: User, comment: str, ctx: AuditContext | None = None) -> Series:
    """差し戻し with a comment for the author."""
    return APPROVAL.returned(series, approver=approver, comment=comment, ctx=ctx, audit_action=actions.RETURNED)


def _move(name: str, target: str, audit_action: str, series: Series, actor: User, ctx: AuditContext | None) -> Series:
    series = _lock(series)
    _require(name, series)
    series.status = target
    fields = ["status", "updated_at"]
    if target == S.ENDED:
        series.ended_at = timezone.now()
        fields.append("ended_at")
    series.save(update_fields=fields)
    _audit(audit_action, actor=actor, series=series, ctx=ctx)
    return series


@transaction.atomic
def series_pause(*, series: Series, actor: User, ctx: AuditContext | None = None) -> Series:
    """一時停止: due dates are recorded as not sent (一時停止中) until it is resumed."""
    return _move("pause", S.PAUSED, actions.PAUSED, series, actor, ctx)


@transaction.atomic
def series_resume(*, series: Series, actor: User, ctx: AuditContext | None = None) -> Series:
    """再開: the next due date is sent again (dates while paused are not sent afterwards)."""
    return _move("resume", S.ACTIVE, actions.RESUMED, series, actor, ctx)


@transaction.atomic
def series_end(*, series: Series, actor: User, ctx: AuditContext | None = None) -> Series:
    """終了: nothing more is sent (the history stays)."""
    return _move("end", S.ENDED, actions.ENDED, series, actor, ctx)


@transaction.atomic
def series_delete(*, series: Series, actor: User, ctx: AuditContext | None = None) -> str:
    """削除 of a series that never sent (下書き・差し戻し); returns its title."""
    series = _lock(series)
    _require("delete", series)
    if series.occurrences.exists():
        raise DomainError(_("配信したことのある定期配信は削除できません。「終了」にしてください。"), code="has_history")
    title = series.title
    _audit(actions.DELETED, actor=actor, series=series, ctx=ctx, title=title)
    series.delete()
    return title


@transaction.atomic
def series_skip(
    *, series: Series, actor: User, date: dt.date, area_id: int | None = None, note: str = "", ctx: AuditContext | None = None
) -> str:
    """1回見送り: the date (for one area, or every area sending that day) is recorded as
    skipped before it is due, so the beat job finds it taken. Returns what staff are told."""
    series = _lock(series)
    _require("skip", series)
    now = timezone.localtime()
    if date < now.date() or (date == now.date() and selectors.send_at(series, date) <= now):
        raise DomainError(_("見送れるのは、これから配信する日だけです。"), code="past_date")
    schedules = [s for s in selectors.schedules_of(series) if area_id is None or s.area_id == area_id]
    skipped: list[str] = []
    taken = False
    for schedule in schedules:
        if date not in rules.send_dates(series.rule_for(schedule), since=date, until=date):
            continue
        try:
            with transaction.atomic():
                Occurrence.objects.create(
                    series=series, schedule=schedule, date=date, status=O.SKIPPED, by=actor, note=note[:200]
                )
        except IntegrityError:
            taken = True
            continue
        skipped.append(schedule.area.name)
    if not skipped:
        if taken:
            raise DomainError(_("この日はすでに見送りにしています。"), code="already_skipped")
        raise DomainError(_("選んだ日は配信日ではありません。"), code="not_a_send_date")
    when = f"{date.month}月{date.day}日"
    _audit(actions.SKIPPED, actor=actor, series=series, ctx=ctx, date=date.isoformat(), areas=skipped)
    return _("%(when)sの配信（%(areas)s）を見送りにしました。") % {"when": when, "areas": "・".join(skipped)}


# -- the beat job --------------------------------------------------------------------------


def _grace() -> dt.timedelta:
    """How late an occurrence may still go out (beat or workers were down): after that a
    garbage-day reminder is no use, and it is recorded as 配信時刻を過ぎていた."""
    return dt.timedelta(minutes=int(getattr(settings, "RECURRING_SEND_GRACE_MINUTES", 120)))


LOOKBACK_DAYS = 3


@dataclass
class RunResult:
    sent: int = 0
    held: int = 0
    ended: int = 0


def occurrences_run(*, now: dt.datetime | None = None) -> RunResult:
    """Beat job: record every due occurrence of the running series (有効: sent as a
    broadcast, or held back under 50; 一時停止: recorded as not sent), each exactly once,
    and end the series whose rule has no date left."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    since = local.date() - dt.timedelta(days=LOOKBACK_DAYS)
    result = RunResult()
    running = list(
        Series.objects.filter(status__in=selectors.RUNNING, approved_at__isnull=False).prefetch_related(
            selectors._active_schedules()
        )
    )
    done = set(Occurrence.objects.filter(series__in=running, date__gte=since).values_list("series_id", "schedule_id", "date"))
    for series in running:
        left = False
        for schedule in selectors.schedules_of(series):
            rule = series.rule_for(schedule)
            if rule.problems():
                continue
            for planned in rules.planned(rule, since=since):
                at = selectors.send_at(series, planned.date)
                if at > now:
                    left = True
                    break
                approved_at = series.approved_at
                if (
                    not planned.sends
                    or approved_at is None
                    or at <= approved_at
                    or (series.pk, schedule.pk, planned.date) in done
                ):
                    continue
                outcome = occurrence_record(series_id=series.pk, schedule_id=schedule.pk, date=planned.date, now=now)
                if outcome == O.SENT:
                    result.sent += 1
                elif outcome:
                    result.held += 1
        if not left and _series_finish(series.pk, now):
            result.ended += 1
    return result


def occurrence_record(*, series_id: int, schedule_id: int, date: dt.date, now: dt.datetime | None = None) -> str:
    """Record one due occurrence once (under the series' row lock and the unique
    constraint) and, for a 有効 series, send it as a broadcast through the 50 check and the
    fan-out. Returns the status recorded now, or "" when there was nothing to do (recorded
    before, or the series is no longer running or no longer the approved version)."""
    now = now or timezone.now()
    with transaction.atomic():
        series = Series.objects.select_for_update().filter(pk=series_id).first()
        if series is None or series.status not in selectors.RUNNING:
            return ""
        schedule = next((s for s in selectors.schedules_of(series) if s.pk == schedule_id), None)
        if schedule is None:
            return ""
        if not series.approved_version or series.approved_version != selectors.series_version(series):
            logger.warning("recurring series %s: not the approved version, nothing sent", series.pk)
            return ""
        at = selectors.send_at(series, date)
        if series.status == S.PAUSED:
            status = O.PAUSED
        elif now - at > _grace():
            status = O.LATE
        else:
            status = O.SENT
        try:
            with transaction.atomic():
                occurrence, created = Occurrence.objects.get_or_create(
                    series=series, schedule=schedule, date=date, defaults={"status": status}
                )
        except IntegrityError:  # another process recorded it between our look and our insert
            return ""
        if not created:
            return ""
        if status == O.SENT:
            broadcast = _occurrence_broadcast(series, schedule, date, at)
            try:
                broadcast_services.ensure_minimum(broadcast=broadcast)
            except broadcast_services.BelowMinimum:
                status = O.BELOW_MINIMUM
            else:
                _start(broadcast, schedule)
                occurrence.broadcast = broadcast
        occurrence.status = status
        occurrence.save(update_fields=["status", "broadcast"])
        detail: dict[str, Any] = {"date": date.isoformat(), "area": schedule.area.name, "occurrence": occurrence.pk}
        if status == O.SENT:
            _audit_system(actions.OCCURRENCE_SENT, series=series, detail={**detail, "broadcast": occurrence.broadcast_id})
        else:
            _audit_system(actions.OCCURRENCE_HELD, series=series, detail={**detail, "reason": status})
        return status


def _occurrence_broadcast(series: Series, schedule: AreaSchedule, date: dt.date, at: dt.datetime) -> Broadcast:
    """The broadcast of one occurrence (not saved yet): that area's residents AND the
    series' conditions, approved by the series' approver."""
    segment = selectors.segment_of(series, schedule)
    title = f"{series.title}（{schedule.area.name}・{date.month}月{date.day}日）"
    return Broadcast(
        title=title[:100],
        kind=Broadcast.Kind.NORMAL,
        audience=Broadcast.Audience.SEGMENT,
        age_bands=list(segment.age_bands),
        area_ids=list(segment.area_ids),
        interest_ids=list(segment.interest_ids),
        author_id=series.author_id,
        approver_id=series.approver_id,
        submitted_at=series.submitted_at,
        approved_at=series.approved_at,
        scheduled_at=at,
    )


def _start(broadcast: Broadcast, schedule: AreaSchedule) -> None:
    """Save it as 配信中 (its snapshot not taken yet) and start the fan-out after commit,
    as an approval does (``broadcast_approve``)."""
    from broadcasts.tasks import start_broadcast

    broadcast.status = Broadcast.Status.SENDING
    broadcast.save()
    Bubble.objects.create(broadcast=broadcast, position=0, type=Bubble.Type.TEXT, text=schedule.text)
    BroadcastEditor.objects.get_or_create(broadcast=broadcast, user_id=broadcast.author_id)
    broadcast_id = broadcast.pk
    transaction.on_commit(lambda: start_broadcast.delay(broadcast_id))


def _series_finish(series_id: int, now: dt.datetime) -> bool:
    """終了 (automatic) once no area of a running series has a date left."""
    with transaction.atomic():
        series = Series.objects.select_for_update().filter(pk=series_id, status__in=selectors.RUNNING).first()
        if series is None:
            return False
        if selectors.next_send(series=series, now=now) is not None:
            return False
        series.status = S.ENDED
        series.ended_at = timezone.now()
        series.save(update_fields=["status", "ended_at", "updated_at"])
        _audit(actions.ENDED, actor=None, series=series, automatic=True)
        return True
