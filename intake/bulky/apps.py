"""Bulky-garbage collection bookings."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Card, Demo, Flow, PortalAppConfig, Postback
from portal.navigation import NavItem


class BulkyConfig(PortalAppConfig):
    name = "intake.bulky"
    label = "bulky"
    verbose_name = _("粗大ごみ収集")
    nav = (
        NavItem(_("粗大ごみ申込"), "bulky:queue", Perm.REVIEW_BULKY_BOOKINGS, order=60),
        NavItem(_("粗大ごみ設定"), "bulky:setup", Perm.MANAGE_BULKY_CATALOGUE, order=61),
    )
    dashboard = (Card(Perm.REVIEW_BULKY_BOOKINGS, ".dashboard.cards"),)
    demo = (Demo(60, "bulky", ".demo.load_demo"),)
    audit_labels = ".audit.LABELS"
    chat_flows = (Flow(".chat.BulkyFlow", priority=50),)
    postbacks = (Postback(key="bulky", label=_("粗大ごみ"), data="flow=bulky", display_text=_("粗大ごみ")),)
    retention = ".retention.STORES"
