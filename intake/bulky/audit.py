"""Audit action names of intake.bulky (labels registered in apps.ready())."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from accounts.audit import record_staff_action
from portal.labels import Labels

if TYPE_CHECKING:
    from portal.context import AuditContext

    from .models import Booking

LABELS = Labels()
AUDIT_BOOKING_VIEWED = LABELS.add("bulky.booking_viewed", _("粗大ごみ申込の閲覧"))
AUDIT_ROUTE_VIEWED = LABELS.add("bulky.route_viewed", _("粗大ごみ収集ルート表の閲覧"))
AUDIT_ROUTE_EXPORTED = LABELS.add("bulky.route_exported", _("粗大ごみ収集ルート表のCSV出力"))
AUDIT_API_BOOKING_VIEWED = LABELS.add("bulky.api_booking_viewed", _("粗大ごみ申込の閲覧（API）"))

# Staff actions on a booking (pages and API alike; ``detail["via"]`` says which, and
# ``detail["result"]`` whether it was done or refused).
AUDIT_BOOKING_ACTIONS = {
    "approve": LABELS.add("bulky.booking_approved", _("粗大ごみ申込を確認済にした")),
    "reject": LABELS.add("bulky.booking_rejected", _("粗大ごみ申込の却下")),
    "reschedule": LABELS.add("bulky.booking_rescheduled", _("粗大ごみ申込の収集日変更")),
    "collect": LABELS.add("bulky.booking_collected", _("粗大ごみ申込を収集済にした")),
    "cancel": LABELS.add("bulky.booking_cancelled", _("粗大ごみ申込の取消（職員）")),
    "note": LABELS.add("bulky.booking_noted", _("粗大ごみ申込へのメモ追加")),
}

# Set-up changes (field diffs: ``detail["changes"] = {field: [old, new]}``).
AUDIT_SETTINGS_CHANGED = LABELS.add("bulky.settings_changed", _("粗大ごみ受付設定の変更"))
AUDIT_ITEM_CREATED = LABELS.add("bulky.item_created", _("粗大ごみ品目の追加"))
AUDIT_ITEM_CHANGED = LABELS.add("bulky.item_changed", _("粗大ごみ品目の変更"))
AUDIT_ITEM_DELETED = LABELS.add("bulky.item_deleted", _("粗大ごみ品目の削除"))
AUDIT_AREA_CHANGED = LABELS.add("bulky.area_changed", _("粗大ごみ収集地域の設定変更"))
AUDIT_CLOSURE_ADDED = LABELS.add("bulky.closure_added", _("粗大ごみ休止日の追加"))
AUDIT_CLOSURE_DELETED = LABELS.add("bulky.closure_deleted", _("粗大ごみ休止日の削除"))


def record_booking_action(
    *, ctx: AuditContext, booking: Booking, action: str, via: str, done: bool, detail: dict[str, Any] | None = None
) -> None:
    """Audit a staff action on a booking (its answer shows the booking's personal data)."""
    record_staff_action(action=AUDIT_BOOKING_ACTIONS[action], ctx=ctx, target=booking, via=via, done=done, detail=detail)
