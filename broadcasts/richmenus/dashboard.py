"""The dashboard's banner while 災害時モード is on."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from portal.navigation import Banner

from . import selectors


def banners(user: Any) -> list[Banner]:
    switch = selectors.disaster_mode()
    if switch is None:
        return []
    return [
        Banner(
            text=_("災害時モードです。全員のLINEのメニューが災害時用になっています。"),
            level="error",
            url=reverse("richmenus:disaster"),
            link_text=_("災害時モードの画面へ"),
        )
    ]
