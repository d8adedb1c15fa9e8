"""Rich menus of the PR office (part of broadcasts: the menus residents tap in LINE)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RichMenusConfig(AppConfig):
    name = "broadcasts.richmenus"
    label = "richmenus"
    verbose_name = _("リッチメニュー")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation

        from . import audit, dashboard, retention
        from .demo import load_demo

        register_actions(audit.LABELS)
        navigation.register(navigation.NavItem(_("リッチメニュー"), "richmenus:list", Perm.VIEW_BROADCASTS, order=23))
        navigation.register_banner(dashboard.banners)
        retention.register_store()
        demo.register(60, "richmenus", load_demo)
