"""Audit action names of intake.bulky (labels registered in apps.ready())."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from portal.context import AuditContext

    from .models import Booking

AUDIT_BOOKING_VIEWED = "bulky.booking_viewed"
AUDIT_ROUTE_VIEWED = "bulky.route_viewed"
AUDIT_ROUTE_EXPORTED = "bulky.route_exported"
AUDIT_API_BOOKING_VIEWED = "bulky.api_booking_viewed"

# Staff actions on a booking (pages and API alike; ``detail["via"]`` says which, and
# ``detail["result"]`` whether it was done or refused).
AUDIT_BOOKING_ACTIONS = {
    "approve": "bulky.booking_approved",
    "reject": "bulky.booking_rejected",
    "reschedule": "bulky.booking_rescheduled",
    "collect": "bulky.booking_collected",
    "cancel": "bulky.booking_cancelled",
    "note": "bulky.booking_noted",
}

# Set-up changes (field diffs: ``detail["changes"] = {field: [old, new]}``).
AUDIT_SETTINGS_CHANGED = "bulky.settings_changed"
AUDIT_ITEM_CREATED = "bulky.item_created"
AUDIT_ITEM_CHANGED = "bulky.item_changed"
AUDIT_ITEM_DELETED = "bulky.item_deleted"
AUDIT_AREA_CHANGED = "bulky.area_changed"
AUDIT_CLOSURE_ADDED = "bulky.closure_added"
AUDIT_CLOSURE_DELETED = "bulky.closure_deleted"

LABELS = {
    AUDIT_BOOKING_VIEWED: _("粗大ごみ申込の閲覧"),
    AUDIT_ROUTE_VIEWED: _("粗大ごみ収集ルート表の閲覧"),
    AUDIT_ROUTE_EXPORTED: _("粗大ごみ収集ルート表のCSV出力"),
    AUDIT_API_BOOKING_VIEWED: _("粗大ごみ申込の閲覧（API）"),
    AUDIT_BOOKING_ACTIONS["approve"]: _("粗大ごみ申込を確認済にした"),
    AUDIT_BOOKING_ACTIONS["reject"]: _("粗大ごみ申込の却下"),
    AUDIT_BOOKING_ACTIONS["reschedule"]: _("粗大ごみ申込の収集日変更"),
    AUDIT_BOOKING_ACTIONS["collect"]: _("粗大ごみ申込を収集済にした"),
    AUDIT_BOOKING_ACTIONS["cancel"]: _("粗大ごみ申込の取消（職員）"),
    AUDIT_BOOKING_ACTIONS["note"]: _("粗大ごみ申込へのメモ追加"),
    AUDIT_SETTINGS_CHANGED: _("粗大ごみ受付設定の変更"),
    AUDIT_ITEM_CREATED: _("粗大ごみ品目の追加"),
    AUDIT_ITEM_CHANGED: _("粗大ごみ品目の変更"),
    AUDIT_ITEM_DELETED: _("粗大ごみ品目の削除"),
    AUDIT_AREA_CHANGED: _("粗大ごみ収集地域の設定変更"),
    AUDIT_CLOSURE_ADDED: _("粗大ごみ休止日の追加"),
    AUDIT_CLOSURE_DELETED: _("粗大ごみ休止日の削除"),
}


def record_booking_action(
    *, ctx: AuditContext, booking: Booking, action: str, via: str, done: bool, detail: dict[str, Any] | None = None
) -> None:
    """Audit a staff action on a booking (its answer shows the booking's personal data)."""
    from accounts.services import audit_record

    audit_record(
        action=AUDIT_BOOKING_ACTIONS[action],
        ctx=ctx,
        target=booking,
        detail={"via": via, "result": "done" if done else "refused", **(detail or {})},
    )
