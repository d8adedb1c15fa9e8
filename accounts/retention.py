"""The accounts' store of personal data: the details of audit entries."""

from django.utils.translation import gettext_lazy as _

from portal.retention import Store

from . import services

STORES = (
    Store(
        key="accounts.audit_details",
        label=_("監査ログの詳細"),
        holds=_("操作の詳細（住民照会で入力した照会理由、対象の住民番号、変更前後の値など）"),
        action=_(
            "期間を過ぎた記録は、日時・実行者・操作・対象・接続元IPを残し、詳細だけを消去します（記録そのものは削除しません）。"
        ),
        period_days=services.audit_detail_retention_days,
        purge=services.audit_details_purge,
    ),
)
