"""Staff accounts, roles, MFA policy and the audit log."""

from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps
from django.utils.translation import gettext_lazy as _

from portal.contributions import Card, Demo, PortalAppConfig
from portal.navigation import NavItem

from .roles import Perm


class AccountsConfig(PortalAppConfig):
    name = "accounts"
    verbose_name = _("職員アカウント")
    nav = (
        NavItem(label=_("職員管理"), url_name="accounts:staff_list", permission=Perm.MANAGE_STAFF, order=900),
        NavItem(label=_("監査ログ"), url_name="accounts:audit_log", permission=Perm.VIEW_AUDIT_LOG, order=910),
    )
    dashboard = (Card(Perm.MANAGE_STAFF, ".dashboard.staff_cards"), Card(Perm.VIEW_AUDIT_LOG, ".dashboard.audit_cards"))
    demo = (Demo(0, "staff", ".demo.load_demo_staff"),)
    retention = ".retention.STORES"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401

        super().ready()
        # After auth's create_permissions (connected earlier: auth comes first in INSTALLED_APPS).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts.sync_roles")


def _sync_roles(sender: AppConfig, using: str, apps: Apps | None = None, **kwargs: Any) -> None:
    """The role groups as accounts.roles lists them, after every migrate and flush (as Django
    creates the permissions), instead of a data migration for each change of the table.
    ``apps``: the migrated state's registry (migrate passes it; flush does not)."""
    from django.apps import apps as global_apps

    from .services import roles_ensure

    apps = apps or global_apps
    try:
        apps.get_model("accounts", "RolePolicy")
    except LookupError:  # migrated back before accounts' tables exist
        return
    roles_ensure(apps=apps, using=using)
