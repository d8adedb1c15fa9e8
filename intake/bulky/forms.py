"""Forms of intake.bulky (set-up pages and staff actions)."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from .models import MAX_ITEM_FEE_YEN, WEEKDAY_LABELS, BulkySettings, Closure, CollectionArea, Item

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WEEKDAY_CHOICES = [(str(n), label) for n, label in enumerate(WEEKDAY_LABELS)]


class SettingsForm(forms.ModelForm):
    class Meta:
        model = BulkySettings
        fields = BulkySettings.EDITABLE_FIELDS
        widgets = {"payment_note": forms.Textarea(attrs={"rows": 3})}

    # What PostgreSQL's smallint holds and what a date can be reached by: SQLite would store
    # any 64-bit number, and a booking window of 10**18 days breaks every page that reads it.
    LIMITS = {"earliest_days_ahead": 730, "latest_days_ahead": 730, "cancel_deadline_days": 730}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField):
                field.max_value = self.LIMITS.get(name, 32767)
                field.validators.append(MaxValueValidator(field.max_value))
                field.widget.attrs["max"] = field.max_value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("earliest_days_ahead"), data.get("latest_days_ahead")
        if first is not None and last is not None and last < first:
            self.add_error("latest_days_ahead", _("受付終了は受付開始より後の日数にしてください。"))
        for name in ("max_items_per_booking", "max_per_item", "link_ttl_minutes", "session_minutes", "retention_days"):
            if data.get(name) == 0:
                self.add_error(name, _("1以上を入力してください。"))
        for name in ("year_end_from_day", "year_end_to_day"):
            value = data.get(name)
            if value is not None and not 1 <= value <= 31:
                self.add_error(name, _("1から31までの日を入力してください。"))
        return data


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ["name", "category", "fee_yen", "size_points", "accepted", "refusal_reason", "order", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("accepted") is False and not (data.get("refusal_reason") or "").strip():
            self.add_error("refusal_reason", _("収集しない品目には理由を入力してください（例：家電リサイクル）。"))
        if data.get("size_points") == 0:
            self.add_error("size_points", _("1以上を入力してください。"))
        if (data.get("fee_yen") or 0) > MAX_ITEM_FEE_YEN:
            self.add_error("fee_yen", _("手数料は%(max)s円以下で入力してください。") % {"max": f"{MAX_ITEM_FEE_YEN:,}"})
        return data


class CollectionAreaForm(forms.Form):
    weekdays = forms.MultipleChoiceField(
        label=_("収集曜日"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    capacity_points = forms.IntegerField(label=_("1日の収集能力（点）"), min_value=0, max_value=100000)
    is_active = forms.BooleanField(label=_("受付中"), required=False)

    @classmethod
    def for_area(cls, area: CollectionArea, data: dict | None = None) -> "CollectionAreaForm":
        return cls(
            data,
            initial={"weekdays": list(area.weekdays), "capacity_points": area.capacity_points, "is_active": area.is_active},
        )


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["date", "area", "reason"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        area.queryset = CollectionArea.objects.select_related("area")  # each choice's label names its area


# The staff actions' input (workflow.py): the page's form and the API's body alike.
def _written(label: "StrOrPromise", max_length: int, missing: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": missing}
    )


class RejectForm(forms.Form):
    reason = _written(_("却下理由"), 200, _("却下の理由を入力してください。"))


class RescheduleForm(forms.Form):
    new_date = forms.DateField(
        label=_("新しい収集日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("新しい収集日を選んでください。"), "invalid": _("新しい収集日を選んでください。")},
    )


class NoteForm(forms.Form):
    note = _written(_("メモ"), 1000, _("メモを入力してください。"))


class QueueFilterForm(forms.Form):
    date = forms.DateField(label=_("収集日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.ModelChoiceField(
        label=_("地域"), queryset=CollectionArea.objects.select_related("area"), required=False, empty_label=_("すべて")
    )
    status = forms.ChoiceField(label=_("状態"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .models import Booking

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("すべて")), *Booking.Status.choices]  # type: ignore[attr-defined]  # a ChoiceField


class RouteFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("地域"), queryset=CollectionArea.objects.select_related("area"), empty_label=_("選んでください")
    )
    date = forms.DateField(label=_("収集日"), widget=forms.DateInput(attrs={"type": "date"}))
