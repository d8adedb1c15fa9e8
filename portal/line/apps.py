"""The LINE platform layer: client, webhook, residents, chat flows, the shared sender."""

from django.apps import AppConfig
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def _dashboard_cards(user: object) -> list:
    from django.urls import reverse

    from portal.navigation import DashboardCard

    from .audience import figures  # resident counts: broadcasts' differentially private release

    return [DashboardCard(title=_("LINE友だち"), value=figures().friends_text(), url=reverse("line:audience"))]


class LineConfig(AppConfig):
    name = "portal.line"
    label = "line"
    verbose_name = _("LINE連携")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation

        from . import chat  # tasks: registered at start, not on the first webhook
        from .audit import ACTIONS
        from .flows import PreferencesFlow, ShowPreferencesFlow
        from .flows_language import LanguageFlow
        from .retention import register_stores

        register_stores()
        chat.register_flow(PreferencesFlow(), priority=50)
        chat.register_flow(ShowPreferencesFlow(), priority=50)
        chat.register_flow(LanguageFlow(), priority=50)
        from . import richmenus

        richmenus.register_postback(key="prefs", label=_("受信設定"), data="flow=prefs&action=start", display_text=_("受信設定"))
        richmenus.register_postback(key="prefs-show", label=_("受信設定の確認"), data="flow=prefs&action=show",
                                    display_text=_("受信設定の確認"))  # fmt: skip
        richmenus.register_postback(key="language", label=_("言語の選択"), data="flow=lang", display_text="言語 / Language")
        # By name, imported when demo_setup runs it: only tests, benches and management
        # commands import devtools (import-linter), and a production start never loads it.
        demo.register(20, "line", lambda say: import_string("portal.line.devtools.demo.load_demo")(say))
        register_actions(ACTIONS)
        navigation.register(
            navigation.NavItem(_("配信対象者"), "line:audience", Perm.VIEW_AUDIENCE, order=20),
            navigation.NavItem(_("住民照会"), "line:lookup", Perm.LOOKUP_RESIDENT, order=80),
            navigation.NavItem(_("LINE設定"), "line:settings", Perm.MANAGE_SETTINGS, order=85),
        )
        navigation.register_dashboard(Perm.VIEW_AUDIENCE, _dashboard_cards)
