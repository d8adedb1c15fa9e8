"""Rich menus of the PR office (part of broadcasts: the menus residents tap in LINE)."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Demo, PortalAppConfig
from portal.navigation import NavItem


class RichMenusConfig(PortalAppConfig):
    name = "broadcasts.richmenus"
    label = "richmenus"
    verbose_name = _("リッチメニュー")
    nav = (NavItem(_("リッチメニュー"), "richmenus:list", Perm.VIEW_BROADCASTS, order=23),)
    banners = (".dashboard.banners",)
    demo = (Demo(60, "richmenus", ".demo.load_demo"),)
    audit_labels = ".audit.LABELS"
    segment_listeners = (".residents.resident_segment_changed",)
    retention = ".retention.STORES"
