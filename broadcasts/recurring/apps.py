"""Recurring broadcasts (定期配信) of the PR office: part of broadcasts, with its own tables."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Demo, PortalAppConfig
from portal.navigation import NavItem


class RecurringConfig(PortalAppConfig):
    name = "broadcasts.recurring"
    label = "recurring"
    verbose_name = _("定期配信")
    nav = (NavItem(_("定期配信"), "recurring:list", Perm.VIEW_BROADCASTS, order=22),)
    demo = (Demo(55, "recurring", ".demo.load_demo"),)
    audit_labels = ".audit.LABELS"
