"""Demo recurring series (idempotent): the approved 燃えるごみ reminder, each ward on its own
days, and a 不燃ごみ series (毎月 第N曜日) waiting for approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# 燃えるごみ: each ward's two collection days (0 = 月 … 6 = 日), Fukuoka-style.
BURNABLE = {
    "higashi": (0, 3),
    "hakata": (1, 4),
    "chuo": (1, 4),
    "minami": (0, 3),
    "jonan": (2, 5),
    "sawara": (0, 3),
    "nishi": (2, 5),
}
# 不燃ごみ (びん・ペットボトル): once a month, on the ward's 第N weekday.
NON_BURNABLE = {"higashi": 1, "hakata": 2, "chuo": 3, "minami": 4}


def load_demo(say: Callable[[str], None]) -> None:
    from portal import demo
    from portal.errors import DomainError
    from portal.line.models import Area

    from . import rules, selectors, services
    from .models import Series

    staff = demo.staff_for(say, "recurring", Series, "pr@city.example.jp", "approver@city.example.jp")
    if staff is None:
        return
    author, approver = staff
    areas = {a.code: a for a in Area.objects.filter(is_active=True)}
    today = dt.date.today()
    burnable = [
        services.AreaPlan(
            area_id=areas[code].pk,
            weekdays=days,
            text=f"【{areas[code].name}】今日は燃えるごみの日です。日没から夜12時までに、指定袋に入れて出してください。",
        )
        for code, days in BURNABLE.items()
        if code in areas
    ]
    non_burnable = [
        services.AreaPlan(
            area_id=areas[code].pk,
            weekdays=(weekday,),
            text=f"【{areas[code].name}】今日はびん・ペットボトルの日です。中を軽くすすいで、日没から夜12時までに出してください。",
        )
        for code, weekday in NON_BURNABLE.items()
        if code in areas
    ]
    if not burnable:
        say("recurring: no demo wards; skipped")
        return
    series = services.series_save(
        actor=author,
        title="燃えるごみの日のお知らせ",
        frequency=rules.WEEKLY,
        start_date=today,
        send_time=dt.time(16, 0),
        schedules=burnable,
        skip_holidays=False,  # Fukuoka collects on holidays
        skip_year_end=True,
        exclusion_dates=[],
    )
    try:
        services.series_submit(series=series, actor=author)
        services.series_approve(series=series, approver=approver, version=selectors.series_version(series))
    except DomainError as exc:
        say(f"recurring: 燃えるごみ series left as {series.get_status_display()} ({exc.message})")
    pending = services.series_save(
        actor=author,
        title="びん・ペットボトルの日のお知らせ",
        frequency=rules.MONTHLY_NTH,
        nth=2,
        start_date=today,
        send_time=dt.time(16, 0),
        schedules=non_burnable,
        skip_holidays=True,
        skip_year_end=True,
        exclusion_dates=[],
    )
    services.series_submit(series=pending, actor=author)
    say("recurring: 燃えるごみ (approved, 7 wards on their own days) and びん・ペットボトル (第2曜日, awaiting approval)")
