"""Audit action names and labels; each app registers its own from AppConfig.ready()."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

LOGIN_SUCCESS = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGOUT = "auth.logout"
MFA_CHANGED = "auth.mfa_changed"
PASSWORD_CHANGED = "auth.password_changed"
STAFF_INVITED = "staff.invited"
STAFF_UPDATED = "staff.updated"
STAFF_DEACTIVATED = "staff.deactivated"
STAFF_ROLES_CHANGED = "staff.roles_changed"
STAFF_MFA_RESET = "staff.mfa_reset"
ROLE_POLICY_CHANGED = "role.policy_changed"
AUDIT_EXPORTED = "audit.exported"

ACTION_LABELS: dict[str, object] = {
    LOGIN_SUCCESS: _("サインイン"),
    LOGIN_FAILED: _("サインイン失敗"),
    LOGOUT: _("サインアウト"),
    MFA_CHANGED: _("多要素認証の変更"),
    PASSWORD_CHANGED: _("パスワード変更"),
    STAFF_INVITED: _("職員の招待"),
    STAFF_UPDATED: _("職員情報の変更"),
    STAFF_DEACTIVATED: _("職員の無効化"),
    STAFF_ROLES_CHANGED: _("ロールの変更"),
    STAFF_MFA_RESET: _("多要素認証のリセット"),
    ROLE_POLICY_CHANGED: _("ロール設定の変更"),
    AUDIT_EXPORTED: _("監査ログの出力"),
}


# What an entry's 対象 is, in words (「職員 広報 花子」, 「道路通報 R-2026-000013」): a label
# per target type (``app_label.model``); apps register theirs, the model's verbose_name is
# the fallback.
TARGET_LABELS: dict[str, object] = {"accounts.user": _("職員")}


def register_target_types(labels: Mapping[str, object]) -> None:
    TARGET_LABELS.update(labels)


def target_label(target_type: str) -> str:
    if not target_type:
        return ""
    if target_type in TARGET_LABELS:
        return str(TARGET_LABELS[target_type])
    from django.apps import apps

    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return ""  # not a model (e.g. a retention store): the entry's 対象 text says it


def register_actions(labels: Mapping[str, object]) -> None:
    """Called by other apps (e.g. ``{"broadcast.approved": _("配信の承認")}``)."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
