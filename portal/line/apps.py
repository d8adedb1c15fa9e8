"""The LINE platform layer: client, webhook, residents, chat flows, the shared sender."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Card, Demo, Flow, PortalAppConfig, Postback
from portal.navigation import DashboardCard, NavItem


def dashboard_cards(user: object) -> list[DashboardCard]:
    from django.urls import reverse

    from .audience import figures  # resident counts: broadcasts' differentially private release

    return [DashboardCard(title=_("LINE友だち"), value=figures().friends_text(), url=reverse("line:audience"))]


class LineConfig(PortalAppConfig):
    name = "portal.line"
    label = "line"
    verbose_name = _("LINE連携")
    nav = (
        NavItem(_("配信対象者"), "line:audience", Perm.VIEW_AUDIENCE, order=20),
        NavItem(_("住民照会"), "line:lookup", Perm.LOOKUP_RESIDENT, order=80),
        NavItem(_("LINE設定"), "line:settings", Perm.MANAGE_SETTINGS, order=85),
    )
    dashboard = (Card(Perm.VIEW_AUDIENCE, ".apps.dashboard_cards"),)
    # Imported when demo_setup runs it: only tests, benches and management commands import
    # devtools (import-linter), and a production start never loads it.
    demo = (Demo(20, "line", ".devtools.demo.load_demo"),)
    audit_labels = ".audit.ACTIONS"
    chat_flows = (
        Flow(".flows.PreferencesFlow", priority=50),
        Flow(".flows.ShowPreferencesFlow", priority=50),
        Flow(".flows_language.LanguageFlow", priority=50),
    )
    postbacks = (
        Postback(key="prefs", label=_("受信設定"), data="flow=prefs&action=start", display_text=_("受信設定")),
        Postback(key="prefs-show", label=_("受信設定の確認"), data="flow=prefs&action=show", display_text=_("受信設定の確認")),
        Postback(key="language", label=_("言語の選択"), data="flow=lang", display_text="言語 / Language"),
    )
    retention = ".retention.STORES"

    def ready(self) -> None:
        super().ready()
        from celery.signals import worker_init

        from .tasks import warm_up_chat_worker

        # A chat worker loads the answerers' indexes once, before it forks its pool.
        worker_init.connect(warm_up_chat_worker, weak=False, dispatch_uid="portal.line.warm_up_chat_worker")
