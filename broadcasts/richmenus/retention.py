"""The rich menus' store of residents' data: which menu a resident is linked to."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.retention import Store

from . import services

STORES = (
    Store(
        key="richmenus.resident_menus",
        label=_("住民別リッチメニュー"),
        holds=_("住民とその人に表示するリッチメニュー（セグメント別メニュー）の対応、メニューの付け替え待ちの住民"),
        action=_(
            "友だちでなくなった住民の対応と付け替え待ちを削除（付け替え待ちは付け替えが済むと消えます。"
            "送信済みの一括リクエストの住民一覧は送信時に消去）"
        ),
        period_days=lambda: settings.RETENTION_RICHMENU_LINK_DAYS,
        purge=services.resident_menus_purge,
    ),
)
