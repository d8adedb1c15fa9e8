"""Road-damage reports from residents."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadsConfig(AppConfig):
    name = "intake.roads"
    label = "roads"
    verbose_name = _("道路損傷通報")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation

        from . import chat, dashboard, demo_data, services

        chat.register()
        register_actions(services.AUDIT_LABELS)
        navigation.register(
            navigation.NavItem(_("道路通報"), "roads:queue", Perm.TRIAGE_ROAD_REPORTS, order=40),
            navigation.NavItem(_("道路通報の統計"), "roads:stats", Perm.TRIAGE_ROAD_REPORTS, order=41),
            navigation.NavItem(_("Open311 APIキー"), "roads:api_keys", Perm.MANAGE_SETTINGS, order=90),
            navigation.NavItem(_("道路通報の設定"), "roads:settings_home", Perm.MANAGE_SETTINGS, order=91),
        )
        navigation.register_dashboard(Perm.TRIAGE_ROAD_REPORTS, dashboard.cards)
        demo.register(40, "roads", demo_data.load)
