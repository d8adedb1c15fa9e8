"""Recurring broadcasts: a series (its rule and state), each area's schedule in it (its
weekdays and its message), and the occurrences the beat job recorded — one row per
(series, area schedule, date), sent as a broadcast or skipped with the reason."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from broadcasts.models import TEXT_MAX, Approvable, ApprovalComment, Editor

from . import rules


class Series(Approvable):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PENDING = "pending", _("承認待ち")
        ACTIVE = "active", _("有効")
        PAUSED = "paused", _("一時停止")
        ENDED = "ended", _("終了")
        RETURNED = "returned", _("差し戻し")

    title = models.CharField(_("管理用タイトル"), max_length=80)
    frequency = models.CharField(_("繰り返し"), max_length=16, choices=rules.FREQUENCIES, default=rules.WEEKLY)
    interval = models.PositiveSmallIntegerField(_("何日ごと"), default=1)
    month_day = models.PositiveSmallIntegerField(_("毎月の日付"), null=True, blank=True)
    nth = models.SmallIntegerField(_("第何"), null=True, blank=True, choices=rules.NTH_CHOICES)
    start_date = models.DateField(_("開始日"))
    end_date = models.DateField(_("終了日"), null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("回数"), null=True, blank=True)
    send_time = models.TimeField(_("配信時刻"), default=dt.time(7, 0))
    skip_holidays = models.BooleanField(_("祝日は送らない"), default=True)
    skip_year_end = models.BooleanField(_("年末年始は送らない"), default=True)
    exclusion_dates = models.JSONField(_("除外日"), default=list, blank=True)  # ISO dates
    # Further conditions on every area's residents (AND with the area; OR inside each).
    age_bands = models.JSONField(_("年代"), default=list, blank=True)
    interest_ids = models.JSONField(_("関心分野"), default=list, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # The version (selectors.series_version) the approver approved: nothing else is sent.
    approved_version = models.CharField(max_length=40, blank=True, default="", editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta(Approvable.Meta):
        verbose_name = _("定期配信")
        verbose_name_plural = _("定期配信")

    def __str__(self) -> str:
        # The audit log's 対象: the staff-written title and number (nothing about residents).
        return f"「{self.title}」（#{self.pk}）"

    def exclusions(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(d) for d in self.exclusion_dates or [])

    def rule_for(self, schedule: AreaSchedule | None = None) -> rules.Rule:
        """The rule of one area's schedule (its weekdays), or the series' own."""
        return rules.Rule(
            frequency=self.frequency,
            start=self.start_date,
            send_time=self.send_time,
            weekdays=tuple(schedule.weekdays) if schedule is not None else (),
            interval=self.interval,
            month_day=self.month_day,
            nth=self.nth,
            end=self.end_date,
            count=self.count,
            skip_holidays=self.skip_holidays,
            skip_year_end=self.skip_year_end,
            exclusions=self.exclusions(),
        )


class AreaSchedule(models.Model):
    """One area's part of a series: its days (weekly / 第N曜日 rules) and its message. A
    schedule removed from an edited series stays (inactive) for its occurrences' history."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="schedules")
    area = models.ForeignKey("line.Area", verbose_name=_("地域"), on_delete=models.PROTECT, related_name="+")
    weekdays = models.JSONField(_("曜日"), default=list, blank=True)  # 0 = 月 … 6 = 日
    text = models.TextField(_("メッセージ"), max_length=TEXT_MAX)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["series", "area"], name="recurring_schedule_area_unique")]

    def __str__(self) -> str:
        return f"定期配信の地域#{self.pk}"


class SeriesEditor(Editor):
    """Someone who created or edited a series."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="editors")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "user"], name="recurring_editor_unique")]

    def __str__(self) -> str:
        return f"定期配信の編集者#{self.pk}"


class SeriesComment(ApprovalComment):
    """A note on a series' approval thread (also 見送りの理由)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="comments")

    def __str__(self) -> str:
        return f"定期配信のコメント#{self.pk}"


class Occurrence(models.Model):
    """One date of one area's schedule, recorded once: the unique constraint makes a second
    beat run (or a second beat process) find the row instead of sending again. A date staff
    skipped ahead of time is recorded the same way, so the beat job finds it taken."""

    class Status(models.TextChoices):
        SENT = "sent", _("配信した")
        SKIPPED = "skipped", _("見送り（職員の指定）")
        BELOW_MINIMUM = "below_minimum", _("見送り（配信対象者が50人未満）")
        PAUSED = "paused", _("見送り（一時停止中）")
        LATE = "late", _("見送り（配信時刻を過ぎていた）")

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="occurrences")
    schedule = models.ForeignKey(AreaSchedule, on_delete=models.PROTECT, related_name="occurrences")
    date = models.DateField(_("配信日"))
    status = models.CharField(_("結果"), max_length=16, choices=Status.choices)
    broadcast = models.OneToOneField(
        "broadcasts.Broadcast", null=True, blank=True, on_delete=models.SET_NULL, related_name="recurring_occurrence"
    )
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "schedule__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "schedule", "date"], name="recurring_occurrence_once"),
        ]
        indexes = [models.Index(fields=["date"], name="recurring_occurrence_date_idx")]

    def __str__(self) -> str:
        return f"定期配信の回#{self.pk}"

    @property
    def skipped(self) -> bool:
        return self.status != self.Status.SENT
