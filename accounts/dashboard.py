"""Dashboard cards for staff management and the audit log (counts from real queries)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.navigation import DashboardCard

from . import selectors


def staff_cards(user: Any) -> list[DashboardCard]:
    counts = selectors.staff_counts()
    staff_url = reverse("accounts:staff_list")
    audit_url = reverse("accounts:audit_log")
    return [
        DashboardCard(title=_("有効な職員"), value=counts["active_staff"], url=staff_url),
        DashboardCard(title=_("招待中の職員"), value=counts["pending_invitations"], url=staff_url),
        DashboardCard(title=_("本日のサインイン"), value=counts["sign_ins_today"], url=f"{audit_url}?action=auth.login"),
        DashboardCard(
            title=_("本日のサインイン失敗"), value=counts["failed_sign_ins_today"], url=f"{audit_url}?action=auth.login_failed"
        ),
    ]


def audit_cards(user: Any) -> list[DashboardCard]:
    return [
        DashboardCard(title=_("本日の監査ログ"), value=selectors.audit_entries_today(), url=reverse("accounts:audit_log")),
    ]
