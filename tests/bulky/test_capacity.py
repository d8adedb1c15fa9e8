"""Capacity never overbooks: the last slots of a day go to exactly as many residents as fit,
and everyone refused is offered the next free dates."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from accounts import roles
from intake.bulky import services
from intake.bulky.models import Booking, CollectionDay
from intake.bulky.selectors import format_date
from portal.context import AuditContext
from portal.line.devtools.simulate import user_id_for
from portal.line.models import Resident
from tests.fixtures.bulky import bookable_date
from tests.fixtures.commit import CommitClient
from tests.fixtures.threads import race


def _resident_client(user_id: str) -> Client:
    resident = Resident.objects.create(line_user_id=user_id)
    client = CommitClient()  # each request commits: its pushes go out (or, rolled back, do not)
    path = urlsplit(services.link_issue(resident=resident)).path
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    return client


def _form(area_id: int, item_id: int, date) -> dict:
    import uuid

    return {
        "form_token": uuid.uuid4().hex,
        "area": area_id,
        "collection_date": date.isoformat(),
        "address": "福岡市中央区天神1-1-1",
        "phone": "092-000-0000",
        f"qty_{item_id}": "1",
        "step": "submit",  # the confirmation page's 「この内容で申し込む」
    }


def test_a_full_day_refuses_with_the_next_free_dates(bulky_setup, line_emulator):
    date = bookable_date(7)
    CollectionDay.objects.create(area=bulky_setup.chuo, date=date, capacity_points=10, used_points=10)
    client = _resident_client(user_id_for("full"))
    response = client.post("/bulky/r/", _form(bulky_setup.chuo.pk, bulky_setup.chair.pk, date))
    html = response.content.decode()
    assert response.status_code == 400
    assert "予約がいっぱいになりました" in html and format_date(bookable_date(8)) in html
    assert Booking.objects.count() == 0
    # The booking page offers only dates with room.
    page = client.get("/bulky/r/").content.decode()
    assert f'value="{date.isoformat()}" data-area="{bulky_setup.chuo.pk}"' not in page
    assert f'value="{bookable_date(8).isoformat()}" data-area="{bulky_setup.chuo.pk}"' in page


def test_a_booking_refused_for_capacity_pushes_nothing(bulky_setup, line_emulator):
    """The day fills while the booking is being written (another resident's booking commits
    between the form's check and the capacity UPDATE): the booking's transaction rolls back,
    and with it the 「受け付けました」 push it had already queued — nothing reaches LINE."""
    from django.db.models.signals import post_save

    from intake.bulky.models import BookingEvent
    from portal.line.models import OutboundMessage

    date = bookable_date(7)
    user_id = user_id_for("filled-meanwhile")
    client = _resident_client(user_id)
    before = len(line_emulator.received(user_id))

    def someone_else_takes_the_day(sender: type, instance: BookingEvent, created: bool, **kwargs: object) -> None:
        if created and instance.kind == "created":
            CollectionDay.objects.filter(area=bulky_setup.chuo, date=date).update(used_points=10)

    post_save.connect(someone_else_takes_the_day, sender=BookingEvent, dispatch_uid="test-fill-the-day")
    try:
        response = client.post("/bulky/r/", _form(bulky_setup.chuo.pk, bulky_setup.chair.pk, date))
    finally:
        post_save.disconnect(dispatch_uid="test-fill-the-day", sender=BookingEvent)
    html = response.content.decode()
    assert response.status_code == 400 and "予約がいっぱいになりました" in html and format_date(bookable_date(8)) in html
    assert Booking.objects.count() == 0 and not OutboundMessage.objects.filter(purpose="bulky.booked").exists()
    texts = line_emulator.received_texts(user_id)
    assert len(line_emulator.received(user_id)) == before
    assert not any("受け付けました" in t for t in texts), texts

    # The same resident books another day: that push does go out (the test can see pushes).
    response = client.post("/bulky/r/", _form(bulky_setup.chuo.pk, bulky_setup.chair.pk, bookable_date(8)))
    assert response.status_code == 302
    assert "受け付けました" in line_emulator.received_texts(user_id)[-1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers (SQLite serialises them)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_for_the_last_slots_end_exactly_full(bulky_setup, line_emulator):
    threads_count, free = 24, 4
    date = bookable_date(7)
    CollectionDay.objects.create(area=bulky_setup.chuo, date=date, capacity_points=10, used_points=10 - free)
    clients = [_resident_client(user_id_for(f"race-{n}")) for n in range(threads_count)]

    def book(n: int) -> tuple[int, str]:
        response = clients[n].post("/bulky/r/", _form(bulky_setup.chuo.pk, bulky_setup.chair.pk, date))
        return (response.status_code, response.content.decode())

    results = [r if isinstance(r, tuple) else (0, repr(r)) for r in race(book, range(threads_count))]

    booked = [r for r in results if r and r[0] == 302]
    refused = [r for r in results if r and r[0] == 400]
    assert len(booked) == free, [r[1][:200] for r in results if r and r[0] not in (302, 400)]
    assert len(refused) == threads_count - free
    day = CollectionDay.objects.get(area=bulky_setup.chuo, date=date)
    assert day.used_points == day.capacity_points == 10
    assert Booking.objects.filter(collection_date=date).count() == free
    next_free = format_date(bookable_date(8))
    for _status, html in refused:
        assert "予約がいっぱいになりました" in html and "次の空いている日" in html and next_free in html
    # Every resident who got a booking was told so in LINE; nobody else was.
    confirmed = [user_id_for(f"race-{n}") for n in range(threads_count) if results[n][0] == 302]
    for n in range(threads_count):
        texts = line_emulator.received_texts(user_id_for(f"race-{n}"))
        assert (user_id_for(f"race-{n}") in confirmed) == any("受け付けました" in t for t in texts)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers (SQLite serialises them)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_reschedules_into_the_last_slots_end_exactly_full(bulky_setup, line_emulator, make_staff):
    staff = make_staff(roles.WASTE)
    source, target = bookable_date(5), bookable_date(6)
    bulky_setup.hakata.capacity_points = 30
    bulky_setup.hakata.save()
    CollectionDay.objects.create(area=bulky_setup.hakata, date=target, capacity_points=10, used_points=8)
    bookings = [
        services.booking_create(
            resident=Resident.objects.create(line_user_id=user_id_for(f"move-{n}")),
            area=bulky_setup.hakata,
            collection_date=source,
            quantities={bulky_setup.chair.pk: 1},
            address="福岡市博多区1-1",
            phone="092-000-0000",
        )
        for n in range(20)
    ]

    def move(n: int) -> str:
        try:
            services.booking_reschedule(bookings[n], ctx=AuditContext.system(staff), new_date=target)
        except services.CapacityFull as error:
            return error.message
        return "moved"

    outcomes = race(move, range(len(bookings)))
    assert outcomes.count("moved") == 2
    assert all("次の空いている日" in o for o in outcomes if o != "moved")
    assert CollectionDay.objects.get(area=bulky_setup.hakata, date=target).used_points == 10
    assert CollectionDay.objects.get(area=bulky_setup.hakata, date=source).used_points == 18
    assert Booking.objects.filter(collection_date=target).count() == 2
