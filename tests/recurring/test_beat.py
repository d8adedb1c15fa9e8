"""The beat job: a weekly per-area series sends each area its own message on its own days
(the emulator's record), skips holidays and exclusion dates, holds back an area under 50,
and sends each occurrence once however often the job runs."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from broadcasts.models import Broadcast
from broadcasts.recurring import tasks
from broadcasts.recurring.models import Occurrence
from tests.fixtures.threads import race

pytestmark = pytest.mark.django_db

D = dt.date
EAST = "【東区】明日は燃えるごみの日です。朝8時30分までに出してください。"
HAKATA = "【博多区】明日は燃えるごみの日です。"
SMALL = "【小さな地区】燃えるごみの日です。"


def at(day: dt.date, hour: int = 7, minute: int = 1) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def run_beat(run_on_commit, times: int = 2) -> None:
    for _ in range(times):
        with run_on_commit():
            tasks.run_due_occurrences.delay()


@pytest.fixture
def town(segment_world, make_residents):
    east, hakata, small = segment_world.areas
    return {
        "east": (east, make_residents(60, area=east)),
        "hakata": (hakata, make_residents(70, area=hakata)),
        "small": (small, make_residents(10, area=small)),
        "opted_out": make_residents(5, area=east, opt_out=True),
    }


@pytest.fixture
def series(town, make_series, approver):
    east, hakata, small = town["east"][0], town["hakata"][0], town["small"][0]
    with time_machine.travel(at(D(2026, 7, 10), 9), tick=False):
        return make_series(
            areas={east: ([0, 3], EAST), hakata: ([1, 4], HAKATA), small: ([0], SMALL)},  # 月・木 / 火・金 / 月
            to="active",
            approver=approver,
            start_date=D(2026, 7, 13),
            end_date=D(2026, 7, 31),
            skip_holidays=True,  # 2026-07-20 (月) is 海の日
            exclusion_dates=[D(2026, 7, 23)],  # a Thursday
        )


def test_each_area_gets_its_own_message_on_its_own_days_once(series, town, line_emulator, run_on_commit):
    for day in (D(2026, 7, 10) + dt.timedelta(days=n) for n in range(3, 15)):  # 7/13 … 7/24
        with time_machine.travel(at(day, 6, 59), tick=False):
            run_beat(run_on_commit, times=1)  # before the send time: nothing is due
        with time_machine.travel(at(day), tick=False):
            run_beat(run_on_commit, times=2)  # the job fires twice: each occurrence once
    east_ids, hakata_ids, small_ids = town["east"][1], town["hakata"][1], town["small"][1]
    # 東区 月・木: 7/13, 7/16 (7/20 海の日 and 7/23 除外日 skipped)
    for uid in east_ids:
        assert line_emulator.received_texts(uid) == [EAST, EAST]
        assert line_emulator.count(uid) == 2
    # 博多区 火・金: 7/14, 7/17, 7/21, 7/24
    for uid in hakata_ids:
        assert line_emulator.received_texts(uid) == [HAKATA] * 4
    # Under 50: never sent; the opted-out never.
    for uid in small_ids + town["opted_out"]:
        assert line_emulator.received(uid) == []
    recorded = sorted((o.schedule.area.name, o.date, o.status) for o in Occurrence.objects.select_related("schedule__area"))
    east, hakata, small = (town[k][0].name for k in ("east", "hakata", "small"))
    assert recorded == sorted(
        [
            (east, D(2026, 7, 13), "sent"),
            (east, D(2026, 7, 16), "sent"),
            (hakata, D(2026, 7, 14), "sent"),
            (hakata, D(2026, 7, 17), "sent"),
            (hakata, D(2026, 7, 21), "sent"),
            (hakata, D(2026, 7, 24), "sent"),
            (small, D(2026, 7, 13), "below_minimum"),
        ]
    )
    sent = Broadcast.objects.filter(recurring_occurrence__isnull=False)
    assert sent.count() == 6 and set(sent.values_list("status", flat=True)) == {Broadcast.Status.DONE}


def test_a_late_beat_sends_within_the_grace_and_records_later_ones(series, town, line_emulator, run_on_commit, settings):
    settings.RECURRING_SEND_GRACE_MINUTES = 120
    with time_machine.travel(at(D(2026, 7, 13), 8, 30), tick=False):  # 90 minutes late: still sent
        run_beat(run_on_commit)
    with time_machine.travel(at(D(2026, 7, 14), 9, 30), tick=False):  # 150 minutes late: too late
        run_beat(run_on_commit)
    assert line_emulator.received_texts(town["east"][1][0]) == [EAST]
    assert line_emulator.received(town["hakata"][1][0]) == []
    late = Occurrence.objects.get(date=D(2026, 7, 14))
    assert late.status == Occurrence.Status.LATE and late.broadcast is None


def test_recording_the_same_occurrence_again_sends_nothing(series, town, line_emulator, run_on_commit):
    """Past the job's own look-up (a second process that looked before the first committed):
    the row under the unique constraint is found, nothing is sent again."""
    from broadcasts.recurring import services

    schedule = series.schedules.get(area=town["east"][0])
    with time_machine.travel(at(D(2026, 7, 13)), tick=False):
        with run_on_commit():
            first = services.occurrence_record(series_id=series.pk, schedule_id=schedule.pk, date=D(2026, 7, 13))
        with run_on_commit():
            second = services.occurrence_record(series_id=series.pk, schedule_id=schedule.pk, date=D(2026, 7, 13))
    assert (first, second) == ("sent", "")
    assert Occurrence.objects.count() == 1 and Broadcast.objects.count() == 1
    assert all(line_emulator.count(uid) == 1 for uid in town["east"][1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two beat processes at once need row locks (PostgreSQL)")
def test_two_beat_processes_at_once_send_each_occurrence_once(series, town, line_emulator):
    """Two beat runs started together (two beat processes, or a run overlapping the last):
    each occurrence is recorded and sent once (the series' row lock and the unique constraint)."""
    with time_machine.travel(at(D(2026, 7, 13)), tick=False):
        outcomes = race(lambda _n: tasks.run_due_occurrences.delay(), range(4))
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert Occurrence.objects.filter(date=D(2026, 7, 13)).count() == 2  # 東区 sent, the small area held back
    assert Broadcast.objects.count() == 1
    assert all(line_emulator.count(uid) == 1 for uid in town["east"][1])
    assert all(line_emulator.count(uid) == 0 for uid in town["hakata"][1])
