"""Bulky-garbage collection bookings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkyConfig(AppConfig):
    name = "intake.bulky"
    label = "bulky"
    verbose_name = _("粗大ごみ収集")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation
        from portal.line import chat

        from . import audit
        from .chat import BulkyFlow
        from .demo import load_demo

        chat.register_flow(BulkyFlow(), priority=50)
        register_actions(audit.LABELS)
        navigation.register(
            navigation.NavItem(_("粗大ごみ申込"), "bulky:queue", Perm.REVIEW_BULKY_BOOKINGS, order=60),
            navigation.NavItem(_("粗大ごみ設定"), "bulky:setup", Perm.MANAGE_BULKY_CATALOGUE, order=61),
        )
        navigation.register_dashboard(Perm.REVIEW_BULKY_BOOKINGS, _dashboard_cards)
        demo.register(60, "bulky", load_demo)


def _dashboard_cards(user) -> list:
    from django.urls import reverse

    from portal.navigation import DashboardCard

    from .models import Booking

    waiting = Booking.objects.filter(status=Booking.Status.SUBMITTED).count()
    return [
        DashboardCard(
            title=_("粗大ごみ：未確認の申込"),
            value=f"{waiting}件",
            url=reverse("bulky:queue") + "?status=submitted",
        )
    ]
