"""Audit action names of recurring broadcasts (labels registered from RecurringConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

LABELS = Labels()
CREATED = LABELS.add("recurring.created", _("定期配信の作成"))
EDITED = LABELS.add("recurring.edited", _("定期配信の編集"))
SUBMITTED = LABELS.add("recurring.submitted", _("定期配信の承認申請"))
APPROVED = LABELS.add("recurring.approved", _("定期配信の承認"))
RETURNED = LABELS.add("recurring.returned", _("定期配信の差し戻し"))
PAUSED = LABELS.add("recurring.paused", _("定期配信の一時停止"))
RESUMED = LABELS.add("recurring.resumed", _("定期配信の再開"))
SKIPPED = LABELS.add("recurring.skipped", _("定期配信の1回見送り"))
ENDED = LABELS.add("recurring.ended", _("定期配信の終了"))
DELETED = LABELS.add("recurring.deleted", _("定期配信の下書きの削除"))
OCCURRENCE_SENT = LABELS.add("recurring.occurrence_sent", _("定期配信の配信開始（1回分）"))
OCCURRENCE_HELD = LABELS.add("recurring.occurrence_held", _("定期配信の見送り（50人未満・一時停止中・時刻超過）"))
