"""Forms of the triage workspace."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROAD
from portal.line.models import Area

from .models import Category, Priority, ResponseTemplate, Status, Team
from .widgets import FastSelect


def road_staff() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True, groups__name=ROAD).order_by("email")


def _template_field() -> forms.ModelChoiceField:
    """The reply template a message to the resident may start from (both forms that write one)."""
    return forms.ModelChoiceField(
        label=_("返信テンプレート"),
        queryset=ResponseTemplate.objects.filter(is_active=True),
        required=False,
        empty_label=_("使わない"),
    )


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("新しい状態"), choices=())
    template = _template_field()
    message = forms.CharField(
        label=_("住民へのメッセージ（空欄なら送りません）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    after_photo = forms.ImageField(label=_("補修後の写真（完了のみ・住民に送ります）"), required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = allowed if allowed is not None else list(Status.values)
        # Nothing preselected: a clerk who only wants to write uses 「住民へ返信」 instead.
        self.fields["status"].choices = [("", _("選んでください")), *((s, Status(s).label) for s in allowed)] if allowed else []  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField


class ReplyForm(forms.Form):
    """A message to the resident that leaves the status alone."""

    template = _template_field()
    message = forms.CharField(
        label=_("住民へのメッセージ"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(
        self, *args: Any, templates: QuerySet[ResponseTemplate] | list[ResponseTemplate] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if templates is not None:
            field = self.fields["template"]
            if isinstance(templates, list):
                field.queryset = ResponseTemplate.objects.filter(pk__in=[t.pk for t in templates])  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField
            else:
                field.queryset = templates  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField
            field.label_from_instance = lambda t: f"{t.name}（{t.get_status_display()}）"  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("message") or "").strip() and cleaned.get("template") is None:
            raise forms.ValidationError(_("メッセージを入力するか、テンプレートを選んでください。"))
        return cleaned


class PublicInfoForm(forms.Form):
    """What Open311 shows: written by staff, never the resident's own words."""

    public_description = forms.CharField(
        label=_("公開用の説明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Open311で公開される説明です。住民の書いた文や個人が分かる内容は書かないでください。"),
    )
    public_address = forms.CharField(
        label=_("公開用の住所"),
        required=False,
        max_length=200,
        help_text=_("例: 中央区天神1丁目付近（番地や建物名は書かないでください）。"),
    )


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("担当班"), queryset=Team.objects.filter(is_active=True), required=False, empty_label=_("未割り当て")
    )
    assignee = forms.ModelChoiceField(label=_("担当者"), queryset=road_staff(), required=False, empty_label=_("未割り当て"))
    priority = forms.TypedChoiceField(label=_("優先度"), choices=Priority.choices, coerce=int)
    area = forms.ModelChoiceField(label=_("地域"), queryset=Area.objects.all(), required=False, empty_label=_("未設定"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = road_staff()  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.email  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField


class NoteForm(forms.Form):
    text = forms.CharField(label=_("内部メモ（住民には見えません）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(forms.Form):
    into = forms.CharField(label=_("統合先の受付番号"), max_length=16)


class RedactForm(forms.Form):
    x = forms.FloatField(label=_("左端（%）"), min_value=0, max_value=100)
    y = forms.FloatField(label=_("上端（%）"), min_value=0, max_value=100)
    w = forms.FloatField(label=_("幅（%）"), min_value=0.1, max_value=100)
    h = forms.FloatField(label=_("高さ（%）"), min_value=0.1, max_value=100)


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label=_("一括操作"), choices=[("status", _("状態を変更")), ("assign", _("担当を割り当て"))], widget=FastSelect
    )
    status = forms.ChoiceField(
        label=_("新しい状態"), choices=[("", _("選んでください")), *Status.choices], required=False, widget=FastSelect
    )
    message = forms.CharField(label=_("住民へのメッセージ"), required=False, max_length=1000)
    team = forms.ModelChoiceField(
        label=_("担当班"),
        queryset=Team.objects.filter(is_active=True),
        required=False,
        widget=FastSelect,
        empty_label=_("変更しない"),
    )
    assignee = forms.ModelChoiceField(
        label=_("担当者"), queryset=road_staff(), required=False, widget=FastSelect, empty_label=_("変更しない")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = road_staff()  # type: ignore[attr-defined]  # a ChoiceField / ModelChoiceField


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["code", "name", "team", "emergency_phone", "description", "order", "is_active"]


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["code", "name", "is_active"]


class ResponseTemplateForm(forms.ModelForm):
    class Meta:
        model = ResponseTemplate
        fields = ["name", "status", "category", "text", "is_active"]
        help_texts = {"text": _("{reference}（受付番号）, {category}（種別）, {status}（状態）が使えます。")}


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名称（利用者）"), max_length=80)
