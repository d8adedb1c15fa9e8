"""Audit action names of recurring broadcasts (labels registered from RecurringConfig.ready())."""

from django.utils.translation import gettext_lazy as _

CREATED = "recurring.created"
EDITED = "recurring.edited"
SUBMITTED = "recurring.submitted"
APPROVED = "recurring.approved"
RETURNED = "recurring.returned"
PAUSED = "recurring.paused"
RESUMED = "recurring.resumed"
SKIPPED = "recurring.skipped"
ENDED = "recurring.ended"
DELETED = "recurring.deleted"
OCCURRENCE_SENT = "recurring.occurrence_sent"
OCCURRENCE_HELD = "recurring.occurrence_held"

LABELS = {
    CREATED: _("定期配信の作成"),
    EDITED: _("定期配信の編集"),
    SUBMITTED: _("定期配信の承認申請"),
    APPROVED: _("定期配信の承認"),
    RETURNED: _("定期配信の差し戻し"),
    PAUSED: _("定期配信の一時停止"),
    RESUMED: _("定期配信の再開"),
    SKIPPED: _("定期配信の1回見送り"),
    ENDED: _("定期配信の終了"),
    DELETED: _("定期配信の下書きの削除"),
    OCCURRENCE_SENT: _("定期配信の配信開始（1回分）"),
    OCCURRENCE_HELD: _("定期配信の見送り（50人未満・一時停止中・時刻超過）"),
}
