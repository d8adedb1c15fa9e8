"""The bulky API: catalogue, availability, bookings and staff actions, same permissions and
services as the pages, in the OpenAPI schema."""

import pytest
from django.test import Client

from accounts import roles
from accounts.models import AuditEntry
from intake.bulky.models import Booking, CollectionDay, Item
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date


@pytest.fixture
def api_booking(bulky_setup, open_booking_page) -> Booking:
    page = open_booking_page(user_id_for("api"))
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.sofa: 2})
    assert page.book(form).status_code == 302
    return Booking.objects.get()


def test_catalogue_api_for_set_up_staff(bulky_setup, waste_client, make_staff):
    response = waste_client.get("/bulky/api/items/")
    names = [row["name"] for row in response.json()["results"]]
    assert "冷蔵庫" in names
    response = waste_client.post(
        "/bulky/api/items/",
        {"name": "洗濯機", "fee_yen": 0, "size_points": 1, "accepted": False},
        content_type="application/json",
    )
    assert response.status_code == 400 and "refusal_reason" in response.json()
    response = waste_client.post(
        "/bulky/api/items/", {"name": "本棚", "fee_yen": 1000, "size_points": 3}, content_type="application/json"
    )
    assert response.status_code == 201 and Item.objects.filter(name="本棚").exists()
    # A fee that, times the per-booking limit, would overflow a booking's total: a clear 400.
    response = waste_client.post(
        "/bulky/api/items/", {"name": "金庫", "fee_yen": 2_000_000_000, "size_points": 1}, content_type="application/json"
    )
    assert response.status_code == 400 and "fee_yen" in response.json() and not Item.objects.filter(name="金庫").exists()
    road = Client()
    road.force_login(make_staff(roles.ROAD))
    assert road.get("/bulky/api/items/").status_code == 403


def test_availability_api(bulky_setup, waste_client):
    CollectionDay.objects.create(area=bulky_setup.chuo, date=bookable_date(3), capacity_points=10, used_points=9)
    rows = waste_client.get("/bulky/api/availability/", {"area": bulky_setup.chuo.pk, "points": 2}).json()
    dates = [row["date"] for row in rows]
    assert bookable_date(3).isoformat() not in dates  # only 1 point left
    assert dates[0] == bookable_date(4).isoformat() and rows[0]["remaining_points"] == 10
    assert waste_client.get("/bulky/api/availability/", {"area": "x"}).status_code == 400


def test_booking_api_actions_push_and_audit(api_booking, waste_client, line_emulator):
    listing = waste_client.get("/bulky/api/bookings/", {"status": "submitted"}).json()["results"]
    assert listing[0]["number"] == api_booking.number and "address" not in listing[0]
    detail = waste_client.get(f"/bulky/api/bookings/{api_booking.pk}/").json()
    assert detail["address"] == "福岡市中央区天神1-8-1"
    assert AuditEntry.objects.filter(action="bulky.api_booking_viewed", target_id=str(api_booking.pk)).exists()

    response = waste_client.post(f"/bulky/api/bookings/{api_booking.pk}/approve/")
    assert response.json()["status"] == "confirmed"
    assert "確認しました" in line_emulator.received_texts(user_id_for("api"))[-1]

    response = waste_client.post(
        f"/bulky/api/bookings/{api_booking.pk}/reschedule/",
        {"new_date": bookable_date(100).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 409 and "までの間で選んでください" in response.json()["detail"]
    new_date = bookable_date(11)
    response = waste_client.post(
        f"/bulky/api/bookings/{api_booking.pk}/reschedule/", {"new_date": new_date.isoformat()}, content_type="application/json"
    )
    assert response.json()["collection_date"] == new_date.isoformat()
    assert "収集日が変更になりました" in line_emulator.received_texts(user_id_for("api"))[-1]

    response = waste_client.post(
        f"/bulky/api/bookings/{api_booking.pk}/reject/", {"reason": "確認の電話がつながりません"}, content_type="application/json"
    )
    assert response.json()["status"] == "rejected"
    assert "確認の電話がつながりません" in line_emulator.received_texts(user_id_for("api"))[-1]
    assert CollectionDay.objects.get(date=new_date).used_points == 0


def test_schema_lists_the_bulky_api(admin_client):
    schema = admin_client.get("/api/schema/").content.decode()
    for path in ("/bulky/api/items/", "/bulky/api/availability/", "/bulky/api/bookings/{id}/reschedule/"):
        assert path in schema
