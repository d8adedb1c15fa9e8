"""Segmented broadcasts: compose, approve, fan out."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Card, Demo, Flow, PortalAppConfig
from portal.navigation import NavItem


class BroadcastsConfig(PortalAppConfig):
    name = "broadcasts"
    label = "broadcasts"
    verbose_name = _("配信")
    nav = (
        NavItem(_("配信"), "broadcasts:list", Perm.VIEW_BROADCASTS, order=20),
        NavItem(_("承認待ち"), "broadcasts:approvals", Perm.APPROVE_BROADCAST, order=21),
        NavItem(_("配信結果"), "broadcasts:results", Perm.VIEW_BROADCASTS, order=22),
    )
    dashboard = (Card(Perm.VIEW_BROADCASTS, ".dashboard.cards"),)
    demo = (Demo(50, "broadcasts", ".demo.load_demo"), Demo(51, "broadcast-results", ".results_demo.load_results_demo"))
    audit_labels = ".audit.LABELS"
    # Before the feature flows: 「職員連携 …」 is never a road report or a booking.
    chat_flows = (Flow(".staff_line.StaffLineLinkFlow", priority=10),)
    retention = ".recipients.STORES"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from portal.line import audience

        from . import privacy, recipients

        connection_created.connect(recipients.register_sqlite_function, dispatch_uid="broadcasts.recipient_hash")
        super().ready()
        # The LINE layer's audience page and friends card show counts from the release.
        audience.register_figures(summary=privacy.audience_figures, friends_text=privacy.friends_text)
