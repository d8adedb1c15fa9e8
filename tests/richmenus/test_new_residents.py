"""Segment menus follow the resident: a resident who follows, answers 受信設定 or changes it
after staff linked a menu to a segment sees that segment's menu at once (one single-user
request, after commit, from the task), and loses it on leaving the segment — through the
signed webhook, the services and the emulator's record."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broadcasts.richmenus import services
from broadcasts.richmenus.models import ResidentMenu
from broadcasts.richmenus.tasks import follow_resident
from portal.line.models import Area, Resident

pytestmark = pytest.mark.django_db

USER = "U" + "a" * 32


@pytest.fixture
def world(line_emulator, demo_segments, make_menu, approver, ctx_of, run_on_commit):
    """The default menu, and 博多区's menu linked to 博多区 (nobody in it yet)."""
    normal = make_menu(name="通常", to="default", approver_user=approver)
    hakata_menu = make_menu(name="博多区のメニュー", to="registered")
    hakata, chuo = Area.objects.get(code="hakata"), Area.objects.get(code="chuo")
    with run_on_commit():
        link = services.segment_link_create(hakata_menu, ctx=ctx_of(approver), area_ids=[hakata.pk])
    return SimpleNamespace(normal=normal, hakata_menu=hakata_menu, link=link, hakata=hakata, chuo=chuo)


def _menu_requests(line_emulator) -> list[int]:
    """Statuses of the per-user (and other small) rich-menu requests LINE got so far."""
    return [r["status"] for r in line_emulator.requests("richmenu")]


def _bulk_requests(line_emulator) -> int:
    return len(line_emulator.requests("richmenu_bulk_link")) + len(line_emulator.requests("richmenu_bulk_unlink"))


def _answer(line_resident, user: str, *, age: str = "30-34", area: str = "hakata") -> None:
    """受信設定 from the start (a follow and consent the first time, 「受信設定」 afterwards)."""
    if not Resident.objects.filter(line_user_id=user, consented_at__isnull=False).exists():
        line_resident.answer_preferences(user, age=age, area=area)
        return
    line_resident.text(user, "受信設定")
    line_resident.postback(user, f"flow=prefs&step=age&value={age}")
    line_resident.postback(user, f"flow=prefs&step=area&value={area}")
    line_resident.postback(user, "flow=prefs&step=interest&value=done")


def test_a_new_resident_who_answers_into_the_segment_sees_its_menu_after_one_request(line_resident, line_emulator, world):
    before, bulk = _menu_requests(line_emulator), _bulk_requests(line_emulator)
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    line_resident.postback(USER, "flow=prefs&step=age&value=30-34")
    assert line_emulator.menu_for(USER) == world.normal.line_id  # no area yet: the default
    line_resident.postback(USER, "flow=prefs&step=area&value=hakata")
    line_resident.postback(USER, "flow=prefs&step=interest&value=done")
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
    assert _menu_requests(line_emulator)[len(before) :] == [200]  # the one link_user
    assert _bulk_requests(line_emulator) == bulk
    assert ResidentMenu.objects.get(resident__line_user_id=USER).menu == world.hakata_menu
    assert "受信設定を登録しました" in line_emulator.received(USER)[-1]["text"]


def test_a_resident_who_moves_out_of_the_segment_is_back_on_the_default(line_resident, line_emulator, world):
    _answer(line_resident, USER)
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
    before = _menu_requests(line_emulator)
    _answer(line_resident, USER, area="chuo")
    assert line_emulator.menu_for(USER) == world.normal.line_id
    assert USER not in line_emulator.richmenus.links  # the per-user link is gone, not replaced
    assert _menu_requests(line_emulator)[len(before) :] == [200]  # the one unlink_user
    assert not ResidentMenu.objects.exists()
    _answer(line_resident, USER, area="hakata")  # and back in
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id


def test_the_same_answers_again_send_nothing(line_resident, line_emulator, world):
    _answer(line_resident, USER)
    before = _menu_requests(line_emulator)
    _answer(line_resident, USER)
    line_resident.text(USER, "受信設定")
    line_resident.postback(USER, "flow=prefs&step=age&value=40-44")  # 年代 is no condition of this segment
    resident = Resident.objects.get(line_user_id=USER)
    assert follow_resident.delay(resident.pk).result == "unchanged"  # the task again: the record says so already
    assert _menu_requests(line_emulator) == before
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id


def test_when_several_links_hold_the_resident_the_newest_wins(line_resident, line_emulator, world, make_menu, approver,
                                                              ctx_of, run_on_commit):  # fmt: skip
    young = make_menu(name="若者向け", to="registered")
    with run_on_commit():
        services.segment_link_create(young, ctx=ctx_of(approver), age_bands=["30-34"])
    _answer(line_resident, USER)  # 博多区 and 30〜34歳: both links hold them
    assert line_emulator.menu_for(USER) == young.line_id
    _answer(line_resident, USER, age="45-49")  # only 博多区's now
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id


def test_in_disaster_mode_nothing_is_linked_and_back_to_normal_the_resident_has_the_segment_menu(
    line_resident, line_emulator, world, make_menu, approver, ctx_of, run_on_commit
):
    disaster = make_menu(name="災害時", to="disaster", approver_user=approver)
    with run_on_commit():
        services.disaster_mode_on(ctx=ctx_of(approver))
    before = _menu_requests(line_emulator)
    _answer(line_resident, USER)
    assert _menu_requests(line_emulator) == before  # nothing sent
    assert line_emulator.menu_for(USER) == disaster.line_id
    assert not ResidentMenu.objects.exists()
    with run_on_commit():
        services.disaster_mode_off(ctx=ctx_of(approver))
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
    assert ResidentMenu.objects.get().menu == world.hakata_menu


def test_a_line_500_on_the_link_is_retried_and_the_resident_is_linked_once(line_resident, line_emulator, world):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=prefs&step=consent&value=yes")
    line_resident.postback(USER, "flow=prefs&step=age&value=30-34")
    before = _menu_requests(line_emulator)
    line_emulator.set_faults(rate_500=1.0, limit=1, endpoints=["richmenu"])
    line_resident.postback(USER, "flow=prefs&step=area&value=hakata")
    assert _menu_requests(line_emulator)[len(before) :] == [500, 200]
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
    assert ResidentMenu.objects.get().menu == world.hakata_menu
    assert "お知らせを受け取りたい" not in line_emulator.received(USER)[-1]["text"]  # the chat went on: 関心分野 asked
    assert "関心のある分野" in line_emulator.received(USER)[-1]["text"]


def test_a_block_sends_nothing_and_a_refollow_sends_the_menu_again(line_resident, line_emulator, world):
    _answer(line_resident, USER)
    before = _menu_requests(line_emulator)
    line_resident.unfollow(USER)
    assert _menu_requests(line_emulator) == before
    line_resident.follow(USER, unblocked=True)
    # LINE may not have kept the link while they were blocked (and retention drops the record).
    assert _menu_requests(line_emulator)[len(before) :] == [200]
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id


def test_a_segment_stop_leaves_the_segment_and_resume_comes_back(line_resident, line_emulator, world):
    """配信停止 takes the resident out of every segment (``in_segment``), as the staff's bulk link would."""
    _answer(line_resident, USER)
    line_resident.text(USER, "配信停止")
    assert line_emulator.menu_for(USER) == world.normal.line_id
    line_resident.text(USER, "配信再開")
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id


def test_a_refollow_outside_every_segment_removes_a_link_line_kept_while_blocked(line_resident, line_emulator, world,
                                                                                 approver, ctx_of, run_on_commit):  # fmt: skip
    from django.utils import timezone

    _answer(line_resident, USER)
    line_resident.unfollow(USER)
    services.resident_menus_purge(timezone.now())  # retention: a blocked resident keeps no record
    with run_on_commit():
        services.segment_link_remove(world.link, ctx=ctx_of(approver))  # nobody on record to unlink
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id  # LINE kept the link
    line_resident.follow(USER, unblocked=True)
    assert line_emulator.menu_for(USER) == world.normal.line_id


def test_a_follow_task_the_broker_lost_is_queued_again_by_the_beat_job(line_resident, line_emulator, world, monkeypatch):
    """The resident moves into 博多区 while the broker drops the follow task: nothing reaches
    LINE then, and the beat job, once the mark is 10 minutes old, puts the menu right — once
    (its next run, and the task itself again, send nothing)."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from broadcasts.richmenus.tasks import resume_follows

    _answer(line_resident, USER, area="chuo")
    assert line_emulator.menu_for(USER) == world.normal.line_id
    monkeypatch.setattr(follow_resident, "delay", lambda *args, **kwargs: None)  # the broker loses it
    _answer(line_resident, USER, area="hakata")
    assert line_emulator.menu_for(USER) == world.normal.line_id
    monkeypatch.undo()
    before = len(_menu_requests(line_emulator))

    assert resume_follows.delay().result == 0  # not yet 10 minutes: its task may still be on its way
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert resume_follows.delay().result == 1
        assert resume_follows.delay().result == 0
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
    assert _menu_requests(line_emulator)[before:] == [200]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        assert resume_follows.delay().result == 0


def test_a_change_while_its_task_runs_keeps_its_mark(line_resident, line_emulator, world, monkeypatch):
    """A task finishing clears only the marks it covered: a change made after it started keeps
    its own, so a lost second task is still caught."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from broadcasts.richmenus import residents
    from broadcasts.richmenus.tasks import resume_follows

    _answer(line_resident, USER, area="chuo")
    resident = Resident.objects.get(line_user_id=USER)
    real = residents.resident_menu_follow

    def a_change_meanwhile(**kwargs):
        done = real(**kwargs)  # read the answers (中央区: nothing to send)
        monkeypatch.setattr(residents, "resident_menu_follow", real)
        monkeypatch.setattr(follow_resident, "delay", lambda *a, **k: None)  # the change's own task is lost
        _answer(line_resident, USER, area="hakata")
        return done

    monkeypatch.setattr(residents, "resident_menu_follow", a_change_meanwhile)
    assert follow_resident.apply(args=(resident.pk, False)).result == "unchanged"
    monkeypatch.undo()
    assert line_emulator.menu_for(USER) == world.normal.line_id
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        resume_follows.delay()
    assert line_emulator.menu_for(USER) == world.hakata_menu.line_id
