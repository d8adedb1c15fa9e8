"""Forms for staff management."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import roles


def role_choices() -> list[tuple[str, str]]:
    return [(code, roles.ROLE_LABELS[code]) for code in roles.ROLE_ORDER]


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    full_name = forms.CharField(label=_("氏名"), max_length=100)
    department = forms.CharField(label=_("所属"), max_length=100, required=False)
    roles = forms.MultipleChoiceField(
        label=_("ロール"),
        choices=role_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("複数選択できます。"),
    )


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("氏名"), max_length=100)
    department = forms.CharField(label=_("所属"), max_length=100, required=False)
    roles = forms.MultipleChoiceField(
        label=_("ロール"),
        choices=role_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("複数選択できます。ロールがない職員はダッシュボードしか開けません。"),
    )
