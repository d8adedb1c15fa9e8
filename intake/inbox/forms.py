"""Forms of the staff inbox: the list's filters and the parameters of the table's actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Inquiry, ReplyTemplate, Team


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状態"), required=False, choices=[("", _("すべて")), *Inquiry.Status.choices])
    team = forms.ChoiceField(label=_("担当チーム"), required=False, choices=[("", _("すべて")), *Team.choices])
    mine = forms.BooleanField(label=_("自分の担当だけ"), required=False)


class AssignForm(forms.Form):
    team = forms.ChoiceField(label=_("担当チーム"), choices=Team.choices)
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("担当者"), queryset=None, required=False, empty_label=_("（チームで対応）")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .selectors import assignable_staff

        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_staff()


class ReplyForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("テンプレート"),
        queryset=ReplyTemplate.objects.filter(is_active=True),
        required=False,
        empty_label=_("（使わない）"),
        help_text=_("本文が空のときは、選んだテンプレートの文面を送ります。"),
    )
    text = forms.CharField(label=_("返信の文面"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    submission_key = forms.UUIDField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("職員メモ（住民には送られません）"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
