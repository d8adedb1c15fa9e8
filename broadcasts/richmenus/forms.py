"""Inputs of rich-menu pages and actions (the page's POST and the API's JSON alike)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.line.models import AgeBand, Area


class MenuForm(forms.Form):
    """The builder: name, menu-bar text, the image and the tap areas (JSON the editor writes)."""

    name = forms.CharField(label=_("メニューの名前（住民には表示されません）"), max_length=300)
    chat_bar_text = forms.CharField(label=_("メニューバーの文字（14文字以内）"), max_length=14)
    image = forms.FileField(label=_("画像（JPEGかPNG、幅800〜2,500ピクセル、1MB以下）"), required=False)
    areas = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_areas(self) -> list[Any]:
        raw = self.cleaned_data.get("areas") or "[]"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("タップ領域を読み取れませんでした。")) from None
        if not isinstance(value, list):
            raise forms.ValidationError(_("タップ領域を読み取れませんでした。"))
        return value


class SegmentForm(forms.Form):
    """A segment of residents (OR inside a dimension, AND across)."""

    area_ids = forms.TypedMultipleChoiceField(label=_("地域"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    age_bands = forms.MultipleChoiceField(label=_("年代"), choices=AgeBand.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area_ids"].choices = list(Area.objects.filter(is_active=True).values_list("pk", "name"))  # type: ignore[attr-defined]


class DisasterSwitchForm(forms.Form):
    direction = forms.ChoiceField(choices=[("on", "on"), ("off", "off")])
    confirm = forms.BooleanField(label=_("切り替えにかかる時間を確認しました"))
