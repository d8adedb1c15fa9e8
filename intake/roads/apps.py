"""Road-damage reports from residents."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Card, Demo, Flow, PortalAppConfig, Postback
from portal.navigation import NavItem


class RoadsConfig(PortalAppConfig):
    name = "intake.roads"
    label = "roads"
    verbose_name = _("道路損傷通報")
    nav = (
        NavItem(_("道路通報"), "roads:queue", Perm.TRIAGE_ROAD_REPORTS, order=40),
        NavItem(_("道路通報の統計"), "roads:stats", Perm.TRIAGE_ROAD_REPORTS, order=41),
        NavItem(_("Open311 APIキー"), "roads:api_keys", Perm.MANAGE_SETTINGS, order=90),
        NavItem(_("道路通報の設定"), "roads:settings_home", Perm.MANAGE_SETTINGS, order=91),
    )
    dashboard = (Card(Perm.TRIAGE_ROAD_REPORTS, ".dashboard.cards"),)
    demo = (Demo(40, "roads", ".demo_data.load"),)
    audit_labels = ".services.AUDIT_LABELS"
    audit_targets = {
        "roads.roadreport": _("道路通報"),
        "roads.reportphoto": _("道路通報の写真"),
        "roads.category": _("通報種別"),
        "roads.team": _("担当班"),
        "roads.responsetemplate": _("返信テンプレート"),
        "roads.apikey": _("Open311 APIキー"),
    }
    chat_flows = (Flow(".chat.RoadStatusFlow", priority=40), Flow(".chat.RoadReportFlow", priority=50))
    postbacks = (Postback(key="road", label=_("道路の通報"), data="flow=road&action=start", display_text=_("通報")),)
    retention = ".retention.STORES"
