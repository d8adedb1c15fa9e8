"""Bulky-garbage bookings' store of residents' personal data."""

from django.utils.translation import gettext_lazy as _

from portal.retention import Store

from . import services
from .models import BulkySettings

STORES = (
    Store(
        key="bulky.bookings",
        label=_("粗大ごみ申込"),
        holds=_("住民との紐付け、収集場所の住所、電話番号、職員メモ、却下理由、申込履歴の内容、予約リンク"),
        action=_(
            "収集日から期間（粗大ごみ設定の「個人情報の保存期間」、既定180日）を過ぎたら、状態にかかわらず"
            "住所・電話番号・職員メモ・却下理由・履歴の内容を消去し、住民との紐付けを外す。"
            "期限切れの予約リンクを削除。受付番号・品目・手数料は統計のため残す"
        ),
        period_days=lambda: BulkySettings.load().retention_days,
        purge=services.bookings_purge_personal_data,
    ),
)
