"""The recurrence rule: which dates a series sends on, which it skips and why (edge cases:
第5曜日 absent in a month, 月末 in February, ○日ごと across the year end, 回数 with skips)."""

import datetime as dt

from broadcasts.recurring import rules
from broadcasts.recurring.rules import Rule

D = dt.date


def sends(rule, **kw):
    return rules.send_dates(rule, **kw)


def test_weekly_on_chosen_weekdays():
    rule = Rule(rules.WEEKLY, start=D(2026, 6, 1), weekdays=(0, 3), end=D(2026, 6, 14))  # 月・木
    assert sends(rule) == [D(2026, 6, 1), D(2026, 6, 4), D(2026, 6, 8), D(2026, 6, 11)]
    assert rules.describe(rule) == "毎週 月・木 7:00"


def test_fifth_weekday_is_absent_in_months_without_one():
    # 第5火曜日: 2026-03-31 and 2026-06-30 exist; April and May 2026 have only four Tuesdays.
    rule = Rule(rules.MONTHLY_NTH, start=D(2026, 3, 1), weekdays=(1,), nth=5, end=D(2026, 6, 30))
    assert sends(rule) == [D(2026, 3, 31), D(2026, 6, 30)]
    assert rules.describe(rule) == "毎月 第5火曜日 7:00"


def test_second_tuesday_and_last_friday():
    second = Rule(rules.MONTHLY_NTH, start=D(2026, 1, 1), weekdays=(1,), nth=2, count=3)
    assert sends(second) == [D(2026, 1, 13), D(2026, 2, 10), D(2026, 3, 10)]
    last = Rule(rules.MONTHLY_NTH, start=D(2026, 1, 1), weekdays=(4,), nth=-1, count=2)
    assert sends(last) == [D(2026, 1, 30), D(2026, 2, 27)]
    assert rules.describe(last) == "毎月 最終金曜日 7:00"


def test_month_end_in_february_and_leap_years():
    rule = Rule(rules.MONTH_END, start=D(2027, 12, 1), count=4)
    assert sends(rule) == [D(2027, 12, 31), D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)]
    assert sends(Rule(rules.MONTH_END, start=D(2026, 2, 1), count=1)) == [D(2026, 2, 28)]


def test_monthly_31st_falls_on_the_last_day_of_shorter_months():
    rule = Rule(rules.MONTHLY_DAY, start=D(2026, 1, 1), month_day=31, count=4)
    assert sends(rule) == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]
    assert sends(Rule(rules.MONTHLY_DAY, start=D(2026, 1, 20), month_day=15, count=2)) == [D(2026, 2, 15), D(2026, 3, 15)]


def test_every_n_days_across_the_year_end():
    rule = Rule(rules.EVERY_N_DAYS, start=D(2026, 12, 20), interval=10, end=D(2027, 1, 31))
    assert sends(rule) == [D(2026, 12, 20), D(2026, 12, 30), D(2027, 1, 9), D(2027, 1, 19), D(2027, 1, 29)]
    assert rules.describe(rule) == "10日ごと 7:00"
    # With 年末年始 skipped, 12/30 is left out (and the next date stays on the 10-day rhythm).
    skipping = Rule(rules.EVERY_N_DAYS, start=D(2026, 12, 20), interval=10, end=D(2027, 1, 31), skip_year_end=True)
    assert sends(skipping) == [D(2026, 12, 20), D(2027, 1, 9), D(2027, 1, 19), D(2027, 1, 29)]
    skipped = [p for p in rules.planned(skipping) if not p.sends]
    assert skipped == [rules.Planned(D(2026, 12, 30), "年末年始（12月29日〜1月3日）")]


def test_holidays_and_exclusions_are_skipped_with_their_reason():
    # Mondays from 2026-07-13: 7/20 is 海の日; 7/27 is excluded by staff.
    rule = Rule(
        rules.WEEKLY, start=D(2026, 7, 13), weekdays=(0,), end=D(2026, 8, 3),
        skip_holidays=True, exclusions=frozenset({D(2026, 7, 27)}),
    )  # fmt: skip
    planned = list(rules.planned(rule))
    assert [(p.date, p.skipped) for p in planned] == [
        (D(2026, 7, 13), ""),
        (D(2026, 7, 20), "祝日（海の日）"),
        (D(2026, 7, 27), "除外日"),
        (D(2026, 8, 3), ""),
    ]
    # Not skipping holidays: 海の日 is sent on.
    assert D(2026, 7, 20) in sends(Rule(rules.WEEKLY, start=D(2026, 7, 13), weekdays=(0,), end=D(2026, 8, 3)))


def test_count_counts_the_dates_sent_not_the_skipped_ones():
    rule = Rule(rules.DAILY, start=D(2026, 12, 27), count=4, skip_year_end=True)
    assert sends(rule) == [D(2026, 12, 27), D(2026, 12, 28), D(2027, 1, 4), D(2027, 1, 5)]
    # From a later day, the count still runs from the start.
    assert sends(rule, since=D(2027, 1, 5)) == [D(2027, 1, 5)]


def test_upcoming_lists_the_next_sends_with_the_skips_among_them():
    rule = Rule(rules.WEEKLY, start=D(2026, 1, 1), weekdays=(0, 3), skip_holidays=True)
    upcoming = rules.upcoming(rule, today=D(2026, 1, 8), sends=3)
    assert [(p.date, p.skipped) for p in upcoming] == [
        (D(2026, 1, 8), ""),
        (D(2026, 1, 12), "祝日（成人の日）"),
        (D(2026, 1, 15), ""),
        (D(2026, 1, 19), ""),
    ]


def test_problems_in_staffs_words():
    assert rules.Rule(rules.WEEKLY, start=D(2026, 1, 1)).problems() == ["曜日を1つ以上選んでください。"]
    assert "終了日は開始日より後にしてください。" in Rule(rules.DAILY, start=D(2026, 1, 2), end=D(2026, 1, 1)).problems()
    assert Rule(rules.MONTHLY_DAY, start=D(2026, 1, 1), month_day=32).problems() == ["毎月の日付は1〜31日から選んでください。"]
    assert Rule(rules.DAILY, start=D(2026, 1, 1)).problems() == []


def test_parse_dates():
    dates, bad = rules.parse_dates(["2026-08-13, 2026/8/14\n2026-08-13", "いつか"])
    assert dates == [D(2026, 8, 13), D(2026, 8, 14)] and bad == ["いつか"]
