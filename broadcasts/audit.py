"""Audit action names of broadcasts (labels registered from BroadcastsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

CREATED = "broadcast.created"
EDITED = "broadcast.edited"
SUBMITTED = "broadcast.submitted"
APPROVED = "broadcast.approved"
RETURNED = "broadcast.returned"
SCHEDULED = "broadcast.scheduled"
CANCELLED = "broadcast.cancelled"
SEND_REQUESTED = "broadcast.send_requested"
STARTED = "broadcast.started"
HALTED = "broadcast.halted"
COMPLETED = "broadcast.completed"
PARTIAL = "broadcast.partial"
RETRIED = "broadcast.retried"
TEST_SENT = "broadcast.test_sent"
MINIMUM_REFUSED = "broadcast.minimum_refused"
MINIMUM_LIMITED = "broadcast.minimum_check_limited"
ESTIMATE_USAGE = "broadcast.estimate_usage"
DELETED = "broadcast.deleted"
TEST_ACCOUNT_CODE = "broadcast.test_account_code"
TEST_ACCOUNT_LINKED = "broadcast.test_account_linked"
TEST_ACCOUNT_UNLINKED = "broadcast.test_account_unlinked"
RESULTS_EXPORTED = "broadcast.results_exported"

LABELS = {
    CREATED: _("配信の作成"),
    EDITED: _("配信の編集"),
    SUBMITTED: _("配信の承認申請"),
    APPROVED: _("配信の承認"),
    RETURNED: _("配信の差し戻し"),
    SCHEDULED: _("配信の予約"),
    CANCELLED: _("配信の中止"),
    SEND_REQUESTED: _("配信の開始指示"),
    STARTED: _("配信の開始"),
    HALTED: _("配信の停止（最低配信人数未満）"),
    COMPLETED: _("配信の完了"),
    PARTIAL: _("配信の一部失敗"),
    RETRIED: _("届かなかった方への再送"),
    TEST_SENT: _("テスト配信"),
    MINIMUM_REFUSED: _("50人未満のため不可（人数確認）"),
    MINIMUM_LIMITED: _("人数確認の1日の上限に到達"),
    ESTIMATE_USAGE: _("配信予定人数の概算の利用（1日分の回数）"),
    DELETED: _("下書きの削除"),
    TEST_ACCOUNT_CODE: _("テスト配信用LINEの連携コード発行"),
    TEST_ACCOUNT_LINKED: _("テスト配信用LINEの連携"),
    TEST_ACCOUNT_UNLINKED: _("テスト配信用LINEの連携解除"),
    RESULTS_EXPORTED: _("配信結果（月次）のCSV出力"),
}
