"""Audit action names and labels; each app registers its own from AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

if TYPE_CHECKING:
    from portal.context import AuditContext

# Every app's actions, by code; the accounts' own first (the others register theirs).
ACTION_LABELS = Labels()
LOGIN_SUCCESS = ACTION_LABELS.add("auth.login", _("サインイン"))
LOGIN_FAILED = ACTION_LABELS.add("auth.login_failed", _("サインイン失敗"))
LOGOUT = ACTION_LABELS.add("auth.logout", _("サインアウト"))
MFA_CHANGED = ACTION_LABELS.add("auth.mfa_changed", _("多要素認証の変更"))
PASSWORD_CHANGED = ACTION_LABELS.add("auth.password_changed", _("パスワード変更"))
STAFF_INVITED = ACTION_LABELS.add("staff.invited", _("職員の招待"))
STAFF_UPDATED = ACTION_LABELS.add("staff.updated", _("職員情報の変更"))
STAFF_DEACTIVATED = ACTION_LABELS.add("staff.deactivated", _("職員の無効化"))
STAFF_ROLES_CHANGED = ACTION_LABELS.add("staff.roles_changed", _("ロールの変更"))
STAFF_MFA_RESET = ACTION_LABELS.add("staff.mfa_reset", _("多要素認証のリセット"))
ROLE_POLICY_CHANGED = ACTION_LABELS.add("role.policy_changed", _("ロール設定の変更"))
AUDIT_EXPORTED = ACTION_LABELS.add("audit.exported", _("監査ログの出力"))


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


def register_actions(labels: Mapping[str, str | Promise]) -> None:
    """Called by other apps (e.g. ``{"broadcast.approved": _("配信の承認")}``)."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def record_staff_action(
    *, action: str, ctx: AuditContext, target: Any, via: str, done: bool, detail: dict[str, Any] | None = None
) -> None:
    """Audit a staff action on a resident's record, done or refused (pages and API alike):
    ``detail["via"]`` says which, ``detail["result"]`` whether it was done or refused."""
    from accounts.services import audit_record

    result = "done" if done else "refused"
    audit_record(action=action, ctx=ctx, target=target, detail={"via": via, "result": result, **(detail or {})})
