"""Dashboard cards of intake.roads (counts of reports, not of residents)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from . import services
from .models import Priority, RoadReport

if TYPE_CHECKING:
    from portal.navigation import DashboardCard


def cards(user: object) -> list[DashboardCard]:
    from portal.navigation import DashboardCard

    open_qs = RoadReport.objects.filter(status__in=services.OPEN_STATUSES)
    return [
        DashboardCard(
            title=_("未完了の道路通報"),
            value=open_qs.count(),
            url=reverse("roads:queue") + "?status=received&status=checking&status=planned&status=in_progress",
        ),
        DashboardCard(
            title=_("緊急の通報（未完了）"),
            value=open_qs.filter(priority=Priority.URGENT).count(),
            url=reverse("roads:queue") + "?priority=4&status=received&status=checking&status=planned&status=in_progress",
        ),
        DashboardCard(
            title=_("新しい通報（受付）"),
            value=open_qs.filter(status="received").count(),
            url=reverse("roads:queue") + "?status=received",
        ),
        DashboardCard(
            title=_("重複の可能性あり"),
            value=open_qs.filter(possible_duplicate_of__isnull=False).count(),
            url=reverse("roads:queue") + "?duplicates=true",
        ),
    ]
