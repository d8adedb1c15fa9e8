"""Where the audience page (配信対象者) and the LINE友だち dashboard card get their figures.

Counts of residents have one door: the differentially private release that broadcasts owns
(``broadcasts/privacy.py``). Broadcasts registers its functions here from its
``AppConfig.ready()``, so the LINE layer shows them without importing a feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AudienceFigures:
    summary: Callable[[], dict]  # totals and breakdowns, every count already privacy-safe
    friends_text: Callable[[], str]  # LINE friends as shown (rounded, 「50人未満」 below 50)


_registered: list[AudienceFigures] = []


def register_figures(*, summary: Callable[[], dict], friends_text: Callable[[], str]) -> None:
    """Called once by the feature that owns the counts (broadcasts)."""
    _registered[:] = [AudienceFigures(summary=summary, friends_text=friends_text)]


def figures() -> AudienceFigures:
    if not _registered:
        raise RuntimeError("no audience figures registered (broadcasts registers them in its AppConfig.ready)")
    return _registered[0]
