"""Audit action names of the staff inbox (labels registered in apps.ready())."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from accounts.audit import record_staff_action
from portal.labels import Labels

if TYPE_CHECKING:
    from portal.context import AuditContext

    from .models import Inquiry

LABELS = Labels()
AUDIT_LIST_VIEWED = LABELS.add("inbox.list_viewed", _("問い合わせ一覧の閲覧"))
AUDIT_INQUIRY_VIEWED = LABELS.add("inbox.inquiry_viewed", _("問い合わせの閲覧"))
# Staff actions on a conversation (``detail["result"]``: done or refused).
AUDIT_ACTIONS = {
    "start": LABELS.add("inbox.inquiry_started", _("問い合わせの対応開始")),
    "assign": LABELS.add("inbox.inquiry_assigned", _("問い合わせの担当変更")),
    "close": LABELS.add("inbox.inquiry_closed", _("問い合わせを完了にした")),
    "reopen": LABELS.add("inbox.inquiry_reopened", _("問い合わせの対応再開")),
    "reply": LABELS.add("inbox.inquiry_replied", _("問い合わせへの返信")),
    "note": LABELS.add("inbox.inquiry_noted", _("問い合わせへの職員メモ")),
}


def record_action(
    *, ctx: AuditContext, inquiry: Inquiry, action: str, via: str, done: bool, detail: dict[str, Any] | None = None
) -> None:
    record_staff_action(action=AUDIT_ACTIONS[action], ctx=ctx, target=inquiry, via=via, done=done, detail=detail)
