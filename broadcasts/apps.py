"""Segmented broadcasts: compose, approve, fan out."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BroadcastsConfig(AppConfig):
    name = "broadcasts"
    label = "broadcasts"
    verbose_name = _("配信")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo
        from portal.navigation import NavItem, register, register_dashboard

        from . import audit, dashboard, recipients
        from .demo import load_demo

        connection_created.connect(recipients.register_sqlite_function, dispatch_uid="broadcasts.recipient_hash")
        recipients.register_store()

        register_actions(audit.LABELS)
        register(
            NavItem(_("配信"), "broadcasts:list", Perm.VIEW_BROADCASTS, order=20),
            NavItem(_("承認待ち"), "broadcasts:approvals", Perm.APPROVE_BROADCAST, order=21),
            NavItem(_("配信結果"), "broadcasts:results", Perm.VIEW_BROADCASTS, order=22),
        )
        register_dashboard(Perm.VIEW_BROADCASTS, dashboard.cards)
        demo.register(50, "broadcasts", load_demo)
        from .results_demo import load_results_demo

        demo.register(51, "broadcast-results", load_results_demo)
        from portal.line import audience, chat

        from . import privacy
        from .staff_line import StaffLineLinkFlow

        # The LINE layer's audience page and friends card show counts from the release.
        audience.register_figures(summary=privacy.audience_figures, friends_text=privacy.friends_text)

        # Before the feature flows: 「職員連携 …」 is never a road report or a booking.
        chat.register_flow(StaffLineLinkFlow(), priority=10)
