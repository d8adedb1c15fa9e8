"""Recurring broadcasts (定期配信) of the PR office: part of broadcasts, with its own tables."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecurringConfig(AppConfig):
    name = "broadcasts.recurring"
    label = "recurring"
    verbose_name = _("定期配信")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation

        from . import audit
        from .demo import load_demo

        register_actions(audit.LABELS)
        navigation.register(navigation.NavItem(_("定期配信"), "recurring:list", Perm.VIEW_BROADCASTS, order=22))
        demo.register(55, "recurring", load_demo)
