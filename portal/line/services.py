"""Staff writes of the LINE layer (its settings page)."""

from __future__ import annotations

from .models import LineSettings


def line_settings_update(*, blocked_retention_days: int) -> LineSettings:
    settings_row = LineSettings.current()
    settings_row.blocked_retention_days = blocked_retention_days
    settings_row.save()
    return settings_row
