"""Audit action names of the staff inbox (labels registered in apps.ready())."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from portal.context import AuditContext

    from .models import Inquiry

AUDIT_LIST_VIEWED = "inbox.list_viewed"
AUDIT_INQUIRY_VIEWED = "inbox.inquiry_viewed"
# Staff actions on a conversation (``detail["result"]``: done or refused).
AUDIT_ACTIONS = {
    "start": "inbox.inquiry_started",
    "assign": "inbox.inquiry_assigned",
    "close": "inbox.inquiry_closed",
    "reopen": "inbox.inquiry_reopened",
    "reply": "inbox.inquiry_replied",
    "note": "inbox.inquiry_noted",
}

LABELS = {
    AUDIT_LIST_VIEWED: _("問い合わせ一覧の閲覧"),
    AUDIT_INQUIRY_VIEWED: _("問い合わせの閲覧"),
    AUDIT_ACTIONS["start"]: _("問い合わせの対応開始"),
    AUDIT_ACTIONS["assign"]: _("問い合わせの担当変更"),
    AUDIT_ACTIONS["close"]: _("問い合わせを完了にした"),
    AUDIT_ACTIONS["reopen"]: _("問い合わせの対応再開"),
    AUDIT_ACTIONS["reply"]: _("問い合わせへの返信"),
    AUDIT_ACTIONS["note"]: _("問い合わせへの職員メモ"),
}


def record_action(
    *, ctx: AuditContext, inquiry: Inquiry, action: str, via: str, done: bool, detail: dict[str, Any] | None = None
) -> None:
    from accounts.services import audit_record

    audit_record(
        action=AUDIT_ACTIONS[action],
        ctx=ctx,
        target=inquiry,
        detail={"via": via, "result": "done" if done else "refused", **(detail or {})},
    )
