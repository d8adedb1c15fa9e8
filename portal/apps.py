"""App config for the portal shell (health, navigation, dashboard)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("ポータル")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .security import refuse_insecure_settings

        # Before anything else: web, manage.py, worker and beat all stop here (fail closed).
        refuse_insecure_settings()
        # Records the sign-in time (user_logged_in) for the session time-outs.
        import portal.session_timeout  # noqa: F401
        from accounts.roles import Perm

        from . import navigation

        navigation.register(
            navigation.NavItem(label=_("ダッシュボード"), url_name="dashboard", permission=None, order=0),
            navigation.NavItem(label=_("保存期間"), url_name="retention", permission=Perm.VIEW_AUDIT_LOG, order=915),
        )
        from accounts.audit import register_actions

        register_actions({"retention.purged": _("保存期間経過データの削除")})
