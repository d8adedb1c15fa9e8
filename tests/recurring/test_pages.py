"""Recurring broadcasts through the pages: compose with the preview of the next dates,
four-eyes approval (editing an approved series needs approval again), pause and resume,
skipping one date, the calendar; exact query counts on the list pages."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from broadcasts.recurring import selectors, tasks
from broadcasts.recurring.models import Occurrence, Series
from tests.fixtures.commit import CommitClient

pytestmark = pytest.mark.django_db

D = dt.date
S = Series.Status


def at(day, hour=7, minute=1):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def areas(segment_world, make_residents):
    east, hakata, _third = segment_world.areas
    return {"east": (east, make_residents(60, area=east)), "hakata": (hakata, make_residents(60, area=hakata))}


def form(areas, **extra):
    east, hakata = areas["east"][0], areas["hakata"][0]
    data = {
        "title": "燃えるごみの日のお知らせ",
        "frequency": "weekly",
        "send_time": "07:00",
        "start_date": "2026-07-13",
        "end_date": "",
        "count": "",
        "interval": "7",
        "month_day": "1",
        "nth": "1",
        "skip_holidays": "1",
        "skip_year_end": "1",
        "exclusions": "2026-07-23",
        f"area-{east.pk}-on": "1",
        f"area-{east.pk}-weekdays": ["0", "3"],
        f"area-{east.pk}-text": "東区: 明日は燃えるごみの日です。",
        f"area-{hakata.pk}-on": "1",
        f"area-{hakata.pk}-weekdays": ["1", "4"],
        f"area-{hakata.pk}-text": "博多区: 明日は燃えるごみの日です。",
    }
    data.update(extra)
    return data


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@time_machine.travel(at(D(2026, 7, 10), 10), tick=False)
def test_preview_shows_the_next_ten_dates_per_area_with_the_skips_and_saves_nothing(client, author, areas):
    client.force_login(author)
    response = client.post(reverse("recurring:new"), {**form(areas), "preview": "1"})
    assert response.status_code == 200
    page = text(response)
    assert Series.objects.count() == 0
    assert "テスト区0 — 毎週 月・木 7:00" in page and "テスト区1 — 毎週 火・金 7:00" in page
    assert "2026-07-20 (月) — 送りません: 祝日（海の日）" in page
    assert "2026-07-23 (木) — 送りません: 除外日" in page
    east_list = page.split("テスト区0 — 毎週 月・木 7:00")[1].split("</ol>")[0]
    assert east_list.count("<li") == 12  # 10 sends + 海の日 + 除外日
    # Counts of residents only as the privacy module words them.
    assert "配信予定人数（概算）" in page and not re.search(r"(?<![約,\d])60人", page)


@time_machine.travel(at(D(2026, 7, 10), 10), tick=False)
def test_form_problems_are_said_in_staffs_words(client, author, areas):
    client.force_login(author)
    east = areas["east"][0]
    response = client.post(reverse("recurring:new"), form(areas, **{f"area-{east.pk}-weekdays": [], "exclusions": "いつか"}))
    assert response.status_code == 400
    page = text(response)
    assert "除外日の「いつか」が日付として読めません" in page
    response = client.post(reverse("recurring:new"), form(areas, **{f"area-{east.pk}-weekdays": []}))
    assert "「テスト区0」の曜日を1つ以上選んでください。" in text(response)
    assert Series.objects.count() == 0


def beat(run_on_commit):
    with run_on_commit():
        tasks.run_due_occurrences.delay()


def test_create_approve_pause_resume_skip_and_send(author, approver, areas, line_emulator, run_on_commit):
    author_client, approver_client = CommitClient(), CommitClient()
    author_client.force_login(author)
    approver_client.force_login(approver)
    east_ids, hakata_ids = areas["east"][1], areas["hakata"][1]
    with time_machine.travel(at(D(2026, 7, 10), 10), tick=False):
        response = author_client.post(reverse("recurring:new"), form(areas))
        series = Series.objects.get()
        assert response.status_code == 302 and response.url == reverse("recurring:detail", args=[series.pk])
        author_client.post(reverse("recurring:submit", args=[series.pk]))
        series.refresh_from_db()
        assert series.status == S.PENDING
        # The author cannot approve their own (nor has the permission).
        version = selectors.series_version(series)
        assert author_client.post(reverse("recurring:approve", args=[series.pk]), {"version": version}).status_code == 403
        page = text(approver_client.get(reverse("recurring:detail", args=[series.pk])))
        assert 'id="approve"' in page
        approver_client.post(reverse("recurring:approve", args=[series.pk]), {"version": version})
        series.refresh_from_db()
        assert series.status == S.ACTIVE and series.approver == approver
    # Monday 7/13: 東区 gets its message.
    with time_machine.travel(at(D(2026, 7, 13)), tick=False):
        beat(run_on_commit)
        beat(run_on_commit)
    with time_machine.travel(at(D(2026, 7, 13), 12), tick=False):
        author_client.post(reverse("recurring:pause", args=[series.pk]))
    # Tuesday 7/14 while paused: 博多区 gets nothing; recorded as 一時停止中.
    with time_machine.travel(at(D(2026, 7, 14)), tick=False):
        beat(run_on_commit)
        page = text(author_client.get(reverse("recurring:detail", args=[series.pk])))
        assert "見送り（一時停止中）" in page
    with time_machine.travel(at(D(2026, 7, 14), 12), tick=False):
        approver_client.post(reverse("recurring:resume", args=[series.pk]))
        # Skip Friday 7/17 for 博多区 ahead of time.
        response = author_client.post(
            reverse("recurring:skip", args=[series.pk]),
            {"date": "2026-07-17", "area_id": areas["hakata"][0].pk, "note": "臨時休業"},
        )
        assert response.status_code == 302
        assert Occurrence.objects.get(date=D(2026, 7, 17)).status == Occurrence.Status.SKIPPED
    for day in (D(2026, 7, 16), D(2026, 7, 17), D(2026, 7, 21)):
        with time_machine.travel(at(day), tick=False):
            beat(run_on_commit)
    east_text, hakata_text = "東区: 明日は燃えるごみの日です。", "博多区: 明日は燃えるごみの日です。"
    assert line_emulator.received_texts(east_ids[0]) == [east_text, east_text]  # 7/13, 7/16
    assert line_emulator.received_texts(hakata_ids[0]) == [hakata_text]  # 7/21 only
    with time_machine.travel(at(D(2026, 7, 21), 12), tick=False):
        page = text(author_client.get(reverse("recurring:detail", args=[series.pk])))
    assert "見送り（職員の指定）" in page and "臨時休業" in page
    assert page.count("配信完了 — ") == 3


def test_editing_an_approved_series_returns_it_to_approval_and_sends_nothing_meanwhile(
    author, approver, areas, make_series, line_emulator, run_on_commit
):
    east = areas["east"][0]
    with time_machine.travel(at(D(2026, 7, 10), 10), tick=False):
        series = make_series(areas={east: ([0], "前の文面")}, to="active", approver=approver)
        client = CommitClient()
        client.force_login(author)
        data = form(areas, **{f"area-{east.pk}-text": "新しい文面"})
        data.pop(f"area-{areas['hakata'][0].pk}-on")
        response = client.post(reverse("recurring:edit", args=[series.pk]), data)
        assert response.status_code == 302
        series.refresh_from_db()
        assert series.status == S.PENDING and series.approver is None
    with time_machine.travel(at(D(2026, 7, 13)), tick=False), run_on_commit():
        tasks.run_due_occurrences.delay()
    assert line_emulator.received(areas["east"][1][0]) == []
    # The editor may not approve; another approver may.
    from broadcasts.recurring import services

    with pytest.raises(services.NotAllowed):
        services.series_approve(series=series, approver=author, version=selectors.series_version(series))


def test_a_returned_series_can_be_fixed_and_submitted_again(client, author, approver, areas, make_series):
    with time_machine.travel(at(D(2026, 7, 10), 10), tick=False):
        series = make_series(areas={areas["east"][0]: ([0], "文面")}, to="pending")
        client.force_login(approver)
        client.post(reverse("recurring:return", args=[series.pk]), {"comment": "地域を確認してください"})
        series.refresh_from_db()
        assert series.status == S.RETURNED
        client.force_login(author)
        page = text(client.get(reverse("recurring:detail", args=[series.pk])))
        assert "地域を確認してください" in page and 'id="submit"' in page


@time_machine.travel(at(D(2026, 7, 10), 10), tick=False)
def test_calendar_shows_each_areas_sends_and_skips(client, author, approver, areas, make_series):
    make_series(
        areas={areas["east"][0]: ([0, 3], "東"), areas["hakata"][0]: ([1, 4], "博多")},
        to="active",
        approver=approver,
        skip_holidays=True,
    )
    client.force_login(author)
    page = text(client.get(reverse("recurring:calendar") + "?month=2026-07"))
    assert "定期配信のカレンダー（2026年7月）" in page
    assert '<th scope="col">月</th>' in page
    day20 = page.split("7/20")[1].split("</td>")[0]
    assert "テスト区0" in day20 and "送らない: 祝日（海の日）" in day20
    day14 = page.split("7/14")[1].split("</td>")[0]
    assert "テスト区1" in day14 and "テスト区0" not in day14 and "送らない" not in day14


@time_machine.travel(at(D(2026, 7, 10), 10), tick=False)
@pytest.mark.parametrize("n", [1, 4])
def test_list_and_calendar_query_counts(client, author, approver, segment_world, make_series, assert_queries, n):
    for i in range(n):
        make_series(
            areas={segment_world.areas[0]: ([0], "a"), segment_world.areas[1]: ([2], "b")},
            to="active" if i % 2 == 0 else "draft",
            approver=approver,
            title=f"シリーズ{i}",
        )
    client.force_login(author)
    # session, user, roles, permissions ×2, the series, their areas
    with assert_queries(7):
        assert client.get(reverse("recurring:list")).status_code == 200
    # session, user, roles, permissions ×2, the running series, their areas, the month's occurrences
    with assert_queries(8):
        assert client.get(reverse("recurring:calendar")).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_detail_query_count(
    client, author, approver, segment_world, make_residents, make_series, assert_queries, n, run_on_commit, line_emulator
):
    make_residents(60, area=segment_world.areas[0])
    with time_machine.travel(at(D(2026, 6, 30), 10), tick=False):
        series = make_series(
            areas={segment_world.areas[0]: ([0, 1, 2, 3, 4, 5, 6], "a"), segment_world.areas[1]: ([0], "b")},
            to="active",
            approver=approver,
            start_date=D(2026, 7, 1),
        )
    for day in range(n):  # n occurrences sent (and the other area held back under 50 on Mondays)
        with time_machine.travel(at(D(2026, 7, 1) + dt.timedelta(days=day)), tick=False), run_on_commit():
            tasks.run_due_occurrences.delay()
    client.force_login(author)
    with time_machine.travel(at(D(2026, 7, 10), 10), tick=False):
        client.get(reverse("recurring:detail", args=[series.pk]))  # the day's privacy release, published once
        # session, user, roles, permissions ×2, the series, its areas, the history, the batch
        # counts of the sent ones, the viewer's edits, the release, dates taken ahead, comments
        with assert_queries(13):
            assert client.get(reverse("recurring:detail", args=[series.pk])).status_code == 200


@time_machine.travel(at(D(2026, 7, 10), 10), tick=False)
def test_pages_in_english(client, author, approver, areas, make_series):
    series = make_series(areas={areas["east"][0]: ([0, 3], "東")}, to="active", approver=approver)
    client.force_login(author)
    client.cookies["django_language"] = "en"
    page = text(client.get(reverse("recurring:list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "<h1>Recurring broadcasts</h1>" in page and "Every week Mon・Thu 7:00" in page and ">Active<" in page
    page = text(client.get(reverse("recurring:detail", args=[series.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Upcoming dates (the next 10 per area)" in page and "Skip one date" in page
