"""The parameters of broadcast actions, validated alike for the page's POST and the API's
JSON (``portal.workflow`` runs them before the service)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portal.errors import DomainError


def parse_local_datetime(value: str | None) -> datetime | None:
    """An ISO date and time (the page's ``datetime-local`` or the API's with an offset);
    one without an offset is the portal's local time. None when empty."""
    if not value:
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:  # well formed, but no such day or time (2031-02-30)
        parsed = None
    if parsed is None:
        raise DomainError(_("日時の形式が正しくありません。"), code="bad_time")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class CommentForm(forms.Form):
    comment = forms.CharField(required=False)


class ApproveForm(CommentForm):
    # Not required here: the service says what is missing in the approver's words.
    version = forms.CharField(required=False)


class ScheduleForm(forms.Form):
    scheduled_at = forms.CharField(required=False)

    def clean_scheduled_at(self) -> datetime:
        try:
            when = parse_local_datetime(self.cleaned_data.get("scheduled_at"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        if when is None:
            raise forms.ValidationError(_("予約日時を入力してください。"), code="required")
        return when
