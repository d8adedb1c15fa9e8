"""The triage queue's filters (django-filter)."""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROAD
from portal.line.models import Area

from .models import Category, Priority, RoadReport, Status, Team
from .widgets import FastSelect, FastSelectMultiple


class DateInput(forms.DateInput):
    input_type = "date"


def _road_staff(request: object = None) -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True, groups__name=ROAD).order_by("email")


class ReportFilter(django_filters.FilterSet):
    reference = django_filters.CharFilter(label=_("受付番号"), field_name="reference", lookup_expr="icontains")
    status = django_filters.MultipleChoiceFilter(
        distinct=False, label=_("状態"), choices=Status.choices, widget=FastSelectMultiple(attrs={"size": 4})
    )
    category = django_filters.ModelChoiceFilter(
        label=_("種別"), queryset=Category.objects.all(), widget=FastSelect, empty_label=_("すべて")
    )
    area = django_filters.ModelChoiceFilter(
        label=_("地域"), queryset=Area.objects.all(), widget=FastSelect, empty_label=_("すべて")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("担当班"), queryset=Team.objects.all(), widget=FastSelect, empty_label=_("すべて")
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("担当者"), queryset=_road_staff, widget=FastSelect, empty_label=_("すべて")
    )
    # An explicit empty choice: without it the select shows 「低」 and filtering sends it.
    priority = django_filters.TypedChoiceFilter(
        label=_("優先度"), choices=[("", _("すべて")), *Priority.choices], coerce=int, widget=FastSelect
    )
    date_from = django_filters.DateFilter(label=_("受付日（から）"), method="filter_date_from", widget=DateInput)
    date_to = django_filters.DateFilter(label=_("受付日（まで）"), method="filter_date_to", widget=DateInput)
    duplicates = django_filters.BooleanFilter(
        label=_("重複の可能性あり"),
        field_name="possible_duplicate_of",
        lookup_expr="isnull",
        exclude=True,
        widget=FastSelect(choices=[("", _("すべて")), ("true", _("はい")), ("false", _("いいえ"))]),
    )
    attention = django_filters.BooleanFilter(
        label=_("住民から追加連絡あり"),
        field_name="needs_attention",
        widget=FastSelect(choices=[("", _("すべて")), ("true", _("はい")), ("false", _("いいえ"))]),
    )

    class Meta:
        model = RoadReport
        fields: list = []

    # Day bounds in local time, compared as datetimes (index-friendly, unlike __date).
    def filter_date_from(self, qs: QuerySet[RoadReport], name: str, value: date) -> QuerySet[RoadReport]:
        return qs.filter(created_at__gte=_day_start(value))

    def filter_date_to(self, qs: QuerySet[RoadReport], name: str, value: date) -> QuerySet[RoadReport]:
        return qs.filter(created_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
