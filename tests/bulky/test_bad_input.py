"""Bad input on the booking page: a clear Japanese message, and nothing changes."""

import datetime as dt

import pytest
from django.test import Client

from intake.bulky.models import Booking, BookingLink, Closure, CollectionDay
from portal.line.devtools.simulate import user_id_for
from portal.line.models import OutboundMessage
from tests.fixtures.bulky import bookable_date


def _state() -> tuple:
    return (
        Booking.objects.count(),
        list(CollectionDay.objects.values_list("date", "used_points")),
        OutboundMessage.objects.filter(purpose__startswith="bulky").count(),
    )


CASES = {
    "date before the window": (
        lambda s: {"collection_date": bookable_date(1).isoformat()},
        "収集日は",
    ),
    "date after the window": (
        lambda s: {"collection_date": bookable_date(61).isoformat()},
        "までの間で選んでください",
    ),
    "closed day": (lambda s: {"collection_date": bookable_date(8).isoformat()}, "休止日（祝日）のため収集できません"),
    "not a collection weekday": (lambda s: {"area": s.hakata.pk}, "この地域の収集日ではありません"),
    "unknown item": (lambda s: {"qty_999999": "1"}, "品目一覧にありません"),
    "refused item": (lambda s: {f"qty_{s.fridge.pk}": "1"}, "「冷蔵庫」は粗大ごみとして収集できません（家電リサイクル）"),
    "zero items": (lambda s: {f"qty_{s.chair.pk}": "0"}, "出す品目を1点以上選んでください"),
    "too many of one item": (lambda s: {f"qty_{s.chair.pk}": "6"}, "「椅子」は1回の申込で5点までです"),
    "too many items": (
        lambda s: {f"qty_{s.chair.pk}": "5", f"qty_{s.bike.pk}": "5", f"qty_{s.sofa.pk}": "1"},
        "合計10点までです",
    ),
    "no date": (lambda s: {"collection_date": ""}, "収集日を選んでください"),
    "bad phone": (lambda s: {"phone": "abc"}, "電話番号を正しく入力してください"),
    "no address": (lambda s: {"address": " "}, "収集場所の住所を入力してください"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_changes_nothing(case, bulky_setup, open_booking_page):
    Closure.objects.create(date=bookable_date(8), reason="祝日")
    # 博多区 collects on one weekday only: the default date (7 days ahead) is not it.
    bulky_setup.hakata.weekdays = str((bookable_date(7).weekday() + 1) % 7)
    bulky_setup.hakata.save()
    page = open_booking_page(user_id_for(f"bad-{abs(hash(case))}"))
    overrides, message = CASES[case]
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 1})
    form.update(overrides(bulky_setup))
    before = _state()
    response = page.book(form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state() == before


def test_double_submit_books_once(bulky_setup, open_booking_page, line_emulator):
    page = open_booking_page(user_id_for("double"))
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 1})
    first = page.book(form)
    second = page.client.post("/bulky/r/", {**form, "step": "submit"}, follow=True)
    assert first.status_code == 302
    assert Booking.objects.count() == 1
    assert CollectionDay.objects.get().used_points == 1
    assert "すでに受け付けています" in second.content.decode()
    assert sum("受け付けました" in t for t in line_emulator.received_texts(user_id_for("double"))) == 1


def test_cancelled_booking_cannot_be_cancelled_again(bulky_setup, open_booking_page):
    page = open_booking_page(user_id_for("twice-cancel"))
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 2})
    page.book(form)
    booking = Booking.objects.get()
    page.client.post(f"/bulky/r/bookings/{booking.pk}/cancel/")
    before = _state()
    response = page.client.post(f"/bulky/r/bookings/{booking.pk}/cancel/", follow=True)
    assert "取り消せません" in response.content.decode()
    assert _state() == before


def test_other_residents_bookings_are_not_reachable(bulky_setup, open_booking_page):
    owner = open_booking_page(user_id_for("owner"))
    form = owner.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 1})
    owner.book(form)
    booking = Booking.objects.get()
    other = open_booking_page(user_id_for("other"))
    assert other.client.get(f"/bulky/r/bookings/{booking.pk}/").status_code == 404
    assert other.client.post(f"/bulky/r/bookings/{booking.pk}/cancel/").status_code == 404
    assert booking.number not in other.client.get("/bulky/r/bookings/").content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.SUBMITTED


def test_expired_or_cancelled_link_books_nothing(bulky_setup, line_resident, line_emulator):
    import re

    import time_machine

    line_resident.follow(user_id_for("late"))
    line_resident.text(user_id_for("late"), "粗大ごみ")
    path = re.search(r"/bulky/r/link/\S+/", line_emulator.received_texts(user_id_for("late"))[-1]).group(0)
    with time_machine.travel(dt.timedelta(minutes=45), tick=False):
        client = Client()
        response = client.get(path)
        assert response.status_code == 403
        assert "有効期限が切れています" in response.content.decode()
        response = client.post("/bulky/r/", {"area": bulky_setup.chuo.pk, f"qty_{bulky_setup.chair.pk}": "1"})
    assert response.status_code == 403
    assert Booking.objects.count() == 0
    assert BookingLink.objects.get().used_at is None
