"""Exact query counts of every bulky page and API endpoint that lists things (Zulip style:
the queries are printed when the count differs). Each is measured with one and with four
of everything listed, with the same count: nothing runs a query per row."""

import datetime as dt
from collections.abc import Callable

import pytest

from intake.bulky import services
from intake.bulky.models import Booking, Closure, CollectionArea, Item
from portal.line.models import Area, Resident
from tests.fixtures.bulky import bookable_date


@pytest.fixture
def listed(bulky_setup) -> Callable[[int], dict]:
    """``listed(n)``: n more areas, items, closures and bookings (each with two lines, an
    event and a note) on the same day in 中央区."""

    def make(n: int) -> dict:
        CollectionArea.objects.filter(pk=bulky_setup.chuo.pk).update(capacity_points=100)
        bulky_setup.chuo.refresh_from_db()
        for i in range(n):
            area = Area.objects.create(code=f"ward-{i}", name=f"第{i}区", order=10 + i)
            CollectionArea.objects.create(area=area, weekdays="0123456", capacity_points=30)
            Item.objects.create(name=f"棚{i}", fee_yen=300, size_points=1, order=10 + i)
            Closure.objects.create(date=bookable_date(20 + i), area=bulky_setup.hakata, reason=f"工事{i}")
        bookings = [
            services.booking_create(
                resident=Resident.objects.create(line_user_id="U" + f"{9000 + i:032x}"),
                area=bulky_setup.chuo,
                collection_date=bookable_date(7),
                quantities={bulky_setup.chair.pk: 1, bulky_setup.bike.pk: 1},
                address=f"福岡市中央区天神{i}-1",
                phone="092-000-0000",
            )
            for i in range(n)
        ]
        return {"booking": bookings[0], "area": bulky_setup.chuo, "date": bookable_date(7)}

    return make


def _pages(world: dict) -> dict[str, tuple[str, dict]]:
    area, date, booking = world["area"], world["date"], world["booking"]
    return {
        "queue": ("/bulky/", {}),
        "queue filtered": ("/bulky/", {"status": "submitted", "area": area.pk, "date": date.isoformat()}),
        "booking": (f"/bulky/bookings/{booking.pk}/", {}),
        "calendar": ("/bulky/calendar/", {}),
        "routes": ("/bulky/routes/", {"area": area.pk, "date": date.isoformat()}),
        "routes.csv": ("/bulky/routes.csv", {"area": area.pk, "date": date.isoformat()}),
        "items": ("/bulky/setup/items/", {}),
        "areas": ("/bulky/setup/areas/", {}),
        "closures": ("/bulky/setup/closures/", {}),
        "setup": ("/bulky/setup/", {}),
        "api bookings": ("/bulky/api/bookings/", {}),
        "api bookings filtered": ("/bulky/api/bookings/", {"status": "submitted", "area": area.pk}),
        "api booking": (f"/bulky/api/bookings/{booking.pk}/", {}),
        "api items": ("/bulky/api/items/", {}),
        "api availability": ("/bulky/api/availability/", {"area": area.pk, "points": 2}),
    }


# Each includes the signed-in staff member's session, user, roles and MFA policy (5 or so).
EXPECTED = {
    "queue": 9,
    "queue filtered": 10,  # + the 地域 filter's choice
    "booking": 13,  # + the audit entry, lines, history, free dates to offer
    "calendar": 9,
    "routes": 11,  # + the audit entry
    "routes.csv": 10,
    "items": 6,
    "areas": 7,
    "closures": 8,
    "setup": 7,
    "api bookings": 9,
    "api bookings filtered": 10,
    "api booking": 9,
    "api items": 7,
    "api availability": 10,
}


@pytest.mark.parametrize("rows", [1, 4])
@pytest.mark.parametrize(
    "name", list(_pages({"area": CollectionArea(pk=1), "date": dt.date(2026, 1, 1), "booking": Booking(pk=1)}))
)
def test_staff_pages_and_api(name, rows, listed, waste_client, django_assert_num_queries):
    world = listed(rows)
    path, params = _pages(world)[name]
    waste_client.get(path, params)  # the session's first request (MFA check, language) is not what is measured
    with django_assert_num_queries(EXPECTED[name]):
        response = waste_client.get(path, params)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and body


@pytest.mark.parametrize("rows", [1, 4])
def test_residents_booking_and_list_pages(rows, listed, open_booking_page, django_assert_num_queries):
    world = listed(rows)
    page = open_booking_page(world["booking"].resident.line_user_id)
    for n in range(rows):  # the resident's own bookings, listed on 予約の確認
        services.booking_create(
            resident=page.resident,
            area=world["area"],
            collection_date=bookable_date(8 + n),
            quantities={Item.objects.first().pk: 1},
            address="福岡市中央区天神1-1",
            phone="092-000-0000",
        )
    for path, expected in (("/bulky/r/", 9), ("/bulky/r/bookings/", 6)):
        with django_assert_num_queries(expected):
            response = page.client.get(path)
        assert response.status_code == 200, path
