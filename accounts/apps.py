"""Staff accounts, roles, MFA policy and the audit log."""

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
        from . import signals  # noqa: F401

        super().ready()
