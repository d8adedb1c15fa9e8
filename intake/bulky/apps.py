"""Bulky-garbage collection bookings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


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
        from portal.line import richmenus

        richmenus.register_postback(key="bulky", label=_("粗大ごみ"), data="flow=bulky", display_text=_("粗大ごみ"))
        register_actions(audit.LABELS)
        navigation.register(
            navigation.NavItem(_("粗大ごみ申込"), "bulky:queue", Perm.REVIEW_BULKY_BOOKINGS, order=60),
            navigation.NavItem(_("粗大ごみ設定"), "bulky:setup", Perm.MANAGE_BULKY_CATALOGUE, order=61),
        )
        navigation.register_dashboard(Perm.REVIEW_BULKY_BOOKINGS, _dashboard_cards)
        demo.register(60, "bulky", load_demo)
        _register_retention()


def _register_retention() -> None:
    from portal import retention

    from . import services
    from .models import BulkySettings

    retention.register(
        retention.Store(
            key="bulky.bookings",
            label=_("粗大ごみ申込"),
            holds=_("住民との紐付け、収集場所の住所、電話番号、職員メモ、却下理由、申込履歴の内容、予約リンク"),
            action=_(
                "収集日から期間（粗大ごみ設定の「個人情報の保存期間」、既定180日）を過ぎたら、状態にかかわらず"
                "住所・電話番号・職員メモ・却下理由・履歴の内容を消去し、住民との紐付けを外す。"
                "期限切れの予約リンクを削除。受付番号・品目・手数料は統計のため残す"
            ),
            period_days=lambda: BulkySettings.load().retention_days,
            purge=lambda cutoff: services.bookings_purge_personal_data(cutoff=cutoff),
        )
    )


def _dashboard_cards(user: User) -> list:
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
