"""Audit action names of intake.bulky (labels registered in apps.ready())."""

from django.utils.translation import gettext_lazy as _

AUDIT_BOOKING_VIEWED = "bulky.booking_viewed"
AUDIT_ROUTE_VIEWED = "bulky.route_viewed"
AUDIT_ROUTE_EXPORTED = "bulky.route_exported"
AUDIT_API_BOOKING_VIEWED = "bulky.api_booking_viewed"

LABELS = {
    AUDIT_BOOKING_VIEWED: _("粗大ごみ申込の閲覧"),
    AUDIT_ROUTE_VIEWED: _("粗大ごみ収集ルート表の閲覧"),
    AUDIT_ROUTE_EXPORTED: _("粗大ごみ収集ルート表のCSV出力"),
    AUDIT_API_BOOKING_VIEWED: _("粗大ごみ申込の閲覧（API）"),
}
