"""The parameters of series actions (validated alike wherever the table runs them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class ApproveForm(CommentForm):
    # Not required here: the service says what is missing in the approver's words.
    version = forms.CharField(required=False)


class SkipForm(forms.Form):
    date = forms.DateField(label=_("見送る日"), error_messages={"required": _("見送る日を選んでください。")})
    # Empty: every area sending that day.
    area_id = forms.IntegerField(required=False, min_value=1)
    note = forms.CharField(required=False, max_length=200)
