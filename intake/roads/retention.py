"""Road reports' stores of residents' personal data: the reports and the photos that never became one."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.retention import Store

from . import services

STORES = (
    Store(
        key="roads.reports",
        label=_("道路通報"),
        holds=_("住民との紐付け（LINE）、住民が入力した住所・目印とコメント、追加連絡の本文、住民の写真（元画像を含む）"),
        action=_(
            "完了・対応不可・重複で終了してから（未完了のまま更新がない通報は最後の更新から）保持期間が過ぎた通報の、"
            "住民との紐付け・住所・コメント・追加連絡の本文・写真の位置情報と、職員の内部メモ・住民への連絡文を消去し、住民の写真（元画像と表示用の複製）を削除。"
            "種別・場所・状態・経過は統計のため残す"
        ),
        period_days=lambda: settings.RETENTION_ROAD_REPORT_DAYS,
        purge=services.reports_purge_personal_data,
    ),
    Store(
        key="roads.unsent_photos",
        label=_("通報にならなかった写真"),
        holds=_("通報を途中でやめた住民が送った写真（元画像と表示用の複製）"),
        action=_("受け取ってから保持期間が過ぎても通報にならなかった写真を、元画像・複製ごと削除"),
        period_days=lambda: settings.RETENTION_ROAD_UNSENT_PHOTO_DAYS,
        purge=services.photos_orphans_purge,
    ),
)
