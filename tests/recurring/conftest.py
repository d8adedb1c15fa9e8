"""Fixtures for recurring broadcasts: a series built and approved through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.broadcasts import through_approval


@pytest.fixture
def make_series(author):
    """``make_series(areas={area: ([0, 3], "text")}, to="active", approver=..., **rule)``: a
    series saved (and submitted / approved) through the services."""
    from broadcasts.recurring import rules, selectors, services

    def make(*, areas, to: str = "draft", approver=None, by=None, title: str = "燃えるごみの日", **rule):
        rule.setdefault("frequency", rules.WEEKLY)
        rule.setdefault("start_date", dt.date(2026, 7, 13))
        rule.setdefault("send_time", dt.time(7, 0))
        plans = [services.AreaPlan(area_id=a.pk, weekdays=tuple(days), text=text) for a, (days, text) in areas.items()]
        series = services.series_save(actor=by or author, title=title, schedules=plans, **rule)
        return through_approval(
            series,
            to=to,
            approved="active",
            submit=lambda s: services.series_submit(series=s, actor=by or author),
            approve=lambda s: services.series_approve(series=s, approver=approver, version=selectors.series_version(s)),
        )

    return make
