"""The waste staff's dashboard card: bookings waiting to be checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.navigation import DashboardCard

from .models import Booking

if TYPE_CHECKING:
    from accounts.models import User


def cards(user: User) -> list[DashboardCard]:
    waiting = Booking.objects.filter(status=Booking.Status.SUBMITTED).count()
    return [
        DashboardCard(
            title=_("粗大ごみ：未確認の申込"),
            value=f"{waiting}件",
            url=reverse("bulky:queue") + "?status=submitted",
        )
    ]
