"""Audit action names of broadcasts (labels registered from BroadcastsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

LABELS = Labels()
CREATED = LABELS.add("broadcast.created", _("配信の作成"))
EDITED = LABELS.add("broadcast.edited", _("配信の編集"))
SUBMITTED = LABELS.add("broadcast.submitted", _("配信の承認申請"))
APPROVED = LABELS.add("broadcast.approved", _("配信の承認"))
RETURNED = LABELS.add("broadcast.returned", _("配信の差し戻し"))
SCHEDULED = LABELS.add("broadcast.scheduled", _("配信の予約"))
CANCELLED = LABELS.add("broadcast.cancelled", _("配信の中止"))
SEND_REQUESTED = LABELS.add("broadcast.send_requested", _("配信の開始指示"))
STARTED = LABELS.add("broadcast.started", _("配信の開始"))
HALTED = LABELS.add("broadcast.halted", _("配信の停止（最低配信人数未満）"))
COMPLETED = LABELS.add("broadcast.completed", _("配信の完了"))
PARTIAL = LABELS.add("broadcast.partial", _("配信の一部失敗"))
RETRIED = LABELS.add("broadcast.retried", _("届かなかった方への再送"))
TEST_SENT = LABELS.add("broadcast.test_sent", _("テスト配信"))
MINIMUM_REFUSED = LABELS.add("broadcast.minimum_refused", _("50人未満のため不可（人数確認）"))
MINIMUM_LIMITED = LABELS.add("broadcast.minimum_check_limited", _("人数確認の1日の上限に到達"))
ESTIMATE_USAGE = LABELS.add("broadcast.estimate_usage", _("配信予定人数の概算の利用（1日分の回数）"))
DELETED = LABELS.add("broadcast.deleted", _("下書きの削除"))
TEST_ACCOUNT_CODE = LABELS.add("broadcast.test_account_code", _("テスト配信用LINEの連携コード発行"))
TEST_ACCOUNT_LINKED = LABELS.add("broadcast.test_account_linked", _("テスト配信用LINEの連携"))
TEST_ACCOUNT_UNLINKED = LABELS.add("broadcast.test_account_unlinked", _("テスト配信用LINEの連携解除"))
RESULTS_EXPORTED = LABELS.add("broadcast.results_exported", _("配信結果（月次）のCSV出力"))
