"""The staff inbox's store of residents' personal data: the conversations handed to staff."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.retention import Store

from . import services

STORES = (
    Store(
        key="inbox.inquiries",
        label=_("問い合わせ（職員対応）"),
        holds=_("住民との紐付け、職員の返信の文面、職員メモ、担当・状態"),
        action=_(
            "最後のやり取り（住民のメッセージ、返信、メモ、状態の変更）から期間を過ぎた問い合わせを、"
            "状態にかかわらず返信・メモごと削除します。個人情報を消去した住民（ブロック後）の問い合わせも削除します。"
        ),
        period_days=lambda: settings.RETENTION_INBOX_DAYS,
        purge=services.inquiries_purge,
    ),
)
