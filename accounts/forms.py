"""Forms for staff management."""

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from . import roles

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def role_choices() -> list[tuple[str, str]]:
    return [(code, roles.ROLE_LABELS[code]) for code in roles.ROLE_ORDER]  # type: ignore[misc]  # lazy labels


def _roles_field(*, help_text: "StrOrPromise", required: bool = True) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("ロール"), choices=role_choices, widget=forms.CheckboxSelectMultiple, required=required, help_text=help_text
    )


class StaffFields(forms.Form):
    """What an invitation and the staff page both ask (the e-mail and the roles' rules differ)."""

    field_order = ["email", "full_name", "department", "roles"]
    full_name = forms.CharField(label=_("氏名"), max_length=100)
    department = forms.CharField(label=_("所属"), max_length=100, required=False)


class StaffInviteForm(StaffFields):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    roles = _roles_field(help_text=_("複数選択できます。"))


class StaffEditForm(StaffFields):
    email = forms.EmailField(
        label=_("メールアドレス（サインイン用）"),
        max_length=254,
        required=False,  # left empty: unchanged
        help_text=_(
            "サインインとパスワード再設定のメールに使います。変更は監査ログに記録されます。自分のアドレスは別の管理者が変更します。"
        ),
    )
    roles = _roles_field(required=False, help_text=_("複数選択できます。ロールがない職員はダッシュボードしか開けません。"))

    def __init__(self, *args, is_self: bool = False, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        if is_self:
            # Nobody changes their own sign-in address (another admin does, audited).
            self.fields["email"].disabled = True
