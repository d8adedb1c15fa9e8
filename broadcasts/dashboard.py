"""Dashboard cards of broadcasts (counts of broadcasts, never of residents)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Perm
from portal.navigation import DashboardCard

from .models import Broadcast


def cards(user: Any) -> list[DashboardCard]:
    result = [
        DashboardCard(
            title=_("配信中・予約済の配信"),
            value=Broadcast.objects.filter(status__in=[Broadcast.Status.SENDING, Broadcast.Status.SCHEDULED]).count(),
            url=reverse("broadcasts:list"),
        )
    ]
    if user.has_perm(Perm.APPROVE_BROADCAST):
        result.append(
            DashboardCard(
                title=_("承認待ちの配信"),
                value=Broadcast.objects.filter(status=Broadcast.Status.PENDING).exclude(author=user).count(),
                url=reverse("broadcasts:approvals"),
            )
        )
    return result
