"""Navigation and dashboard registries: each app declares its entries on its AppConfig
(portal/contributions.py). Importable from an apps.py: nothing here loads a model at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .access import Permission


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    permission: Permission | None  # None: any signed-in staff member; a tuple: any one of them
    order: int = 100


@dataclass(frozen=True)
class DashboardCard:
    title: Any
    value: Any  # already privacy-safe (e.g. 「50人未満」 for small resident counts)
    url: str = ""
    note: Any = ""


@dataclass(frozen=True)
class Banner:
    """A notice at the top of the dashboard while something affects every resident
    (災害時モード): ``level`` "error" | "warning" | "info"."""

    text: Any
    level: str = "warning"
    url: str = ""
    link_text: Any = ""


_items: list[NavItem] = []
_cards: list[tuple[Permission | None, Callable[[Any], list[DashboardCard]]]] = []
_banners: list[Callable[[Any], list[Banner]]] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item not in _items:
            _items.append(item)


def register_dashboard(permission: Permission | None, provider: Callable[[Any], list[DashboardCard]]) -> None:
    """``provider(user)`` returns cards whose counts come from real queries."""
    if (permission, provider) not in _cards:
        _cards.append((permission, provider))


def register_banner(provider: Callable[[Any], list[Banner]]) -> None:
    """``provider(user)`` returns the banners to show now (usually none)."""
    if provider not in _banners:
        _banners.append(provider)


def dashboard_banners(user: Any) -> list[Banner]:
    banners: list[Banner] = []
    for provider in _banners:
        banners.extend(provider(user))
    return banners


def items_for(user: Any) -> list[dict]:
    from .access import user_passes

    visible = []
    for item in sorted(_items, key=lambda i: i.order):
        if not user_passes(user, item.permission or "authenticated"):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        visible.append({"label": item.label, "url": url, "url_name": item.url_name})
    return visible


def dashboard_cards(user: Any) -> list[DashboardCard]:
    from .access import user_passes

    cards: list[DashboardCard] = []
    for permission, provider in _cards:
        if user_passes(user, permission or "authenticated"):
            cards.extend(provider(user))
    return cards


def navigation(request: HttpRequest) -> dict:
    """Template context processor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": items_for(user)}
