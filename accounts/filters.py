"""Audit log filters (django-filter): date range, actor and action."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .audit import ACTION_LABELS
from .models import AuditEntry
from .selectors import audit_actors


def action_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[0])


class AuditEntryFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = django_filters.ModelChoiceFilter(queryset=lambda request: audit_actors(), label=_("実行者"), empty_label=_("すべて"))
    action = django_filters.ChoiceFilter(choices=action_choices, label=_("操作"), empty_label=_("すべて"))

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def used_filters(self) -> dict:
        """The filters actually applied, as JSON-safe strings (recorded with an export)."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return {k: str(v.pk if hasattr(v, "pk") else v) for k, v in self.form.cleaned_data.items() if v not in (None, "")}
