"""Forms of the LINE layer's staff pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, AreaBoundary, Dimension, Interest, LineSettings


class AreaForm(forms.ModelForm):
    boundary_file = forms.FileField(
        label=_("境界（GeoJSONファイル、任意）"),
        required=False,
        help_text=_(
            "地域の境界をGeoJSON（経度・緯度、世界測地系）で指定すると、道路通報の地域が通報場所から決まり、"
            "地図に境界が表示されます。例: 国土数値情報「行政区域」データから該当する区のポリゴン。"
        ),
    )
    boundary_clear = forms.BooleanField(label=_("登録済みの境界を削除する"), required=False)

    class Meta:
        model = Area
        fields = ["name", "code", "order", "is_active"]
        help_texts = {"code": _("半角英数字とハイフン。配信の条件やデータ連携で使います。")}

    def clean_boundary_file(self) -> dict | None:
        from portal import geo

        upload = self.cleaned_data.get("boundary_file")
        if not upload:
            return None
        if upload.size > geo.MAX_BOUNDARY_BYTES:
            raise forms.ValidationError(_("境界のファイルが大きすぎます（5MBまで）。"))
        return geo.boundary_parse(upload.read())

    def save(self, commit: bool = True) -> Area:
        area = super().save(commit=commit)
        if commit:
            geometry = self.cleaned_data.get("boundary_file")
            if geometry:
                AreaBoundary.objects.update_or_create(area=area, defaults={"geometry": geometry})
            elif self.cleaned_data.get("boundary_clear"):
                AreaBoundary.objects.filter(area=area).delete()
        return area


class InterestForm(forms.ModelForm):
    class Meta:
        model = Interest
        fields = ["name", "code", "order", "is_active"]
        help_texts = {"code": _("半角英数字とハイフン。登録後も変更できますが、既存の住民の選択は保たれます。")}

    def save(self, commit: bool = True) -> Interest:
        interest = super().save(commit=False)
        if interest.bit is None:
            used = set(Interest.objects.values_list("bit", flat=True))
            free = [b for b in range(63) if b not in used]
            if not free:
                raise forms.ValidationError(_("関心分野は63件までです。"))
            interest.bit = free[0]
        if commit:
            interest.save()
        return interest

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None and Interest.objects.count() >= 63:
            raise forms.ValidationError(_("関心分野は63件までです。使わない分野は「有効」を外してください。"))
        return cleaned


class LineSettingsForm(forms.ModelForm):
    class Meta:
        model = LineSettings
        fields = ["blocked_retention_days"]
        widgets = {"blocked_retention_days": forms.NumberInput(attrs={"min": 0, "max": 3650})}

    def clean_blocked_retention_days(self) -> int:
        days = self.cleaned_data["blocked_retention_days"]
        if days > 3650:
            raise forms.ValidationError(_("3650日以下で指定してください。"))
        return days


class ResidentLookupForm(forms.Form):
    line_user_id = forms.CharField(label=_("LINEユーザーID"), max_length=64, required=False)
    display_name = forms.CharField(label=_("表示名（部分一致）"), max_length=100, required=False)
    reason = forms.CharField(label=_("照会の理由"), max_length=200, help_text=_("監査ログに記録されます。"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user_id = (cleaned.get("line_user_id") or "").strip()
        name = (cleaned.get("display_name") or "").strip()
        if bool(user_id) == bool(name):
            raise forms.ValidationError(_("LINEユーザーIDか表示名のどちらか一方を入力してください。"))
        if name and len(name) < 2:
            raise forms.ValidationError(_("表示名は2文字以上で入力してください。"))
        return cleaned


class DimensionForm(forms.Form):
    """An attribute residents declare in 受信設定 (the service saves it)."""

    name = forms.CharField(label=_("名称"), max_length=50, help_text=_("例：性別、子どもの年代、校区"))
    question = forms.CharField(
        label=_("チャットでの質問"),
        max_length=200,
        required=False,
        help_text=_("空欄のときは「（名称）を選んでください。」と表示します。"),
    )
    kind = forms.ChoiceField(
        label=_("選び方"),
        choices=Dimension.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("「複数選べる」では、住民は選び終えたら「決定」を押します。"),
    )
    is_active = forms.BooleanField(
        label=_("有効"),
        required=False,
        initial=True,
        help_text=_("外すと受信設定で質問せず、配信の条件にも表示しません（住民の回答は残ります）。"),
    )

    def __init__(self, *args: object, builtin: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if builtin:
            del self.fields["kind"]  # 年代・地域・関心分野: their storage decides it


class DimensionOptionForm(forms.Form):
    label = forms.CharField(label=_("選択肢"), max_length=20, help_text=_("チャットのボタンに表示します（20文字まで）。"))
    is_active = forms.BooleanField(
        label=_("有効"), required=False, initial=True, help_text=_("外すと住民の選択肢に表示しません。")
    )
