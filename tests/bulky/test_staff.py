"""Staff review: approve, reject, reschedule (each pushes to the resident), notes, capacity
calendar, route lists, audit of personal data, and who may see what."""

import csv
import io

import pytest
from django.test import Client

from accounts import roles
from accounts.models import AuditEntry
from intake.bulky.models import Booking, CollectionDay, Item
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date


@pytest.fixture
def booked(bulky_setup, open_booking_page):
    """Three bookings by three residents in 中央区, 7 days ahead."""

    def book(label: str, qty: int = 1, days: int = 7) -> Booking:
        page = open_booking_page(user_id_for(label))
        form = page.form(
            area=bulky_setup.chuo.pk,
            collection_date=bookable_date(days).isoformat(),
            address=f"テスト町{label[-1]}番地",
            items={bulky_setup.chair: qty},
        )
        assert page.book(form).status_code == 302
        return Booking.objects.latest("pk")

    return [book("staff-1"), book("staff-2", 2), book("staff-3", 3)]


def test_approve_reject_reschedule_push_to_the_resident(booked, bulky_setup, waste_client, line_emulator):
    first, second, third = booked
    day = CollectionDay.objects.get(area=bulky_setup.chuo, date=bookable_date(7))
    assert day.used_points == 6

    response = waste_client.post(f"/bulky/bookings/{first.pk}/approve/", follow=True)
    assert "確認済にし" in response.content.decode()
    first.refresh_from_db()
    assert first.status == Booking.Status.CONFIRMED
    assert f"{first.number}）を確認しました" in line_emulator.received_texts(user_id_for("staff-1"))[-1]

    waste_client.post(f"/bulky/bookings/{second.pk}/reject/", {"reason": "品目が収集対象外の大きさです"})
    second.refresh_from_db()
    assert second.status == Booking.Status.REJECTED
    assert "品目が収集対象外の大きさです" in line_emulator.received_texts(user_id_for("staff-2"))[-1]
    day.refresh_from_db()
    assert day.used_points == 4  # released

    new_date = bookable_date(9)
    waste_client.post(f"/bulky/bookings/{third.pk}/reschedule/", {"new_date": new_date.isoformat()})
    third.refresh_from_db()
    assert third.collection_date == new_date
    text = line_emulator.received_texts(user_id_for("staff-3"))[-1]
    assert "収集日が変更になりました" in text and f"{new_date.month}月{new_date.day}日" in text
    day.refresh_from_db()
    assert day.used_points == 1
    assert CollectionDay.objects.get(area=bulky_setup.chuo, date=new_date).used_points == 3

    # Rejecting needs a reason; a rejected booking cannot be approved: nothing pushed.
    pushes = len(line_emulator.received(user_id_for("staff-2")))
    response = waste_client.post(f"/bulky/bookings/{second.pk}/approve/", follow=True)
    assert "申込状態の申込だけ" in response.content.decode()
    response = waste_client.post(f"/bulky/bookings/{first.pk}/reject/", {"reason": ""}, follow=True)
    assert "却下の理由を入力してください" in response.content.decode()
    assert len(line_emulator.received(user_id_for("staff-2"))) == pushes

    # Notes and collected.
    waste_client.post(f"/bulky/bookings/{first.pk}/note/", {"note": "門の内側に置く"})
    waste_client.post(f"/bulky/bookings/{first.pk}/collect/")
    first.refresh_from_db()
    assert "門の内側に置く" in first.staff_notes and first.status == Booking.Status.COLLECTED


def test_reschedule_to_a_full_or_closed_day_is_refused(booked, bulky_setup, waste_client, line_emulator):
    full = bookable_date(12)
    CollectionDay.objects.create(area=bulky_setup.chuo, date=full, capacity_points=10, used_points=9)
    booking = booked[1]  # 2 points
    pushes = len(line_emulator.received(user_id_for("staff-2")))
    response = waste_client.post(f"/bulky/bookings/{booking.pk}/reschedule/", {"new_date": full.isoformat()}, follow=True)
    html = response.content.decode()
    assert "予約がいっぱいになりました" in html and "次の空いている日" in html
    booking.refresh_from_db()
    assert booking.collection_date == bookable_date(7)
    assert CollectionDay.objects.get(area=bulky_setup.chuo, date=full).used_points == 9
    assert len(line_emulator.received(user_id_for("staff-2"))) == pushes

    response = waste_client.post(
        f"/bulky/bookings/{booking.pk}/reschedule/", {"new_date": bookable_date(100).isoformat()}, follow=True
    )
    assert "までの間で選んでください" in response.content.decode()


def test_queue_detail_audit_and_other_roles(booked, bulky_setup, make_staff, assert_queries):
    waste = make_staff(roles.WASTE)
    client = Client()
    client.force_login(waste)
    with assert_queries(10):
        response = client.get("/bulky/", {"status": "submitted", "area": bulky_setup.chuo.pk})
    html = response.content.decode()
    assert all(b.number in html for b in booked)
    assert "テスト町1番地" not in html  # the queue shows no personal data

    response = client.get(f"/bulky/bookings/{booked[0].pk}/")
    assert "テスト町1番地" in response.content.decode()
    entry = AuditEntry.objects.get(action="bulky.booking_viewed")
    assert entry.actor == waste and entry.target_id == str(booked[0].pk)
    assert "住所" not in entry.target_repr and booked[0].number == entry.target_repr

    for code in (roles.ROAD, roles.PR_AUTHOR, roles.AUDITOR, roles.ADMIN):
        other = Client()
        other.force_login(make_staff(code))
        assert other.get(f"/bulky/bookings/{booked[0].pk}/").status_code == 403
        assert other.get("/bulky/").status_code == 403
        assert other.get("/bulky/api/bookings/").status_code == 403


def test_route_list_page_and_csv(booked, bulky_setup, waste_client, line_emulator):
    waste_client.post(f"/bulky/bookings/{booked[1].pk}/reject/", {"reason": "対象外"})
    params = {"area": bulky_setup.chuo.pk, "date": bookable_date(7).isoformat()}
    html = waste_client.get("/bulky/routes/", params).content.decode()
    assert "テスト町1番地" in html and "テスト町3番地" in html
    assert "テスト町2番地" not in html  # rejected: not collected
    response = waste_client.get("/bulky/routes.csv", params)
    body = b"".join(response.streaming_content)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["受付番号", "収集場所の住所", "品目"]
    assert {r[0] for r in rows[1:]} == {booked[0].number, booked[2].number}
    assert "椅子×3" in body.decode("utf-8-sig")
    assert "テスト町1番地" in body.decode("utf-8-sig")
    assert not any(b.resident.line_user_id in body.decode("utf-8-sig") for b in booked)  # no LINE user IDs
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "bulky.route_viewed" in actions and "bulky.route_exported" in actions


def test_capacity_calendar(booked, bulky_setup, waste_client, assert_queries):
    from intake.bulky.models import Closure

    Closure.objects.create(date=bookable_date(7), area=bulky_setup.chuo, reason="臨時休止")
    with assert_queries(9):
        html = waste_client.get("/bulky/calendar/").content.decode()
    assert "中央区" in html and "6/10" in html and "休止" in html  # closed after booking: still shown
    assert "0/10" in html


def test_setup_pages(bulky_setup, waste_client, make_staff):
    response = waste_client.post(
        "/bulky/setup/items/new/",
        {"name": "テレビ", "category": "家電", "fee_yen": 0, "size_points": 1, "accepted": "", "refusal_reason": "", "order": 5},
    )
    assert "理由を入力してください" in response.content.decode()
    waste_client.post(
        "/bulky/setup/items/new/",
        {
            "name": "テレビ",
            "category": "家電",
            "fee_yen": 0,
            "size_points": 1,
            "refusal_reason": "家電リサイクル",
            "order": 5,
            "is_active": "on",
        },
    )
    assert Item.objects.get(name="テレビ").accepted is False

    response = waste_client.post(
        f"/bulky/setup/areas/{bulky_setup.chuo.pk}/", {"weekdays": ["1", "4"], "capacity_points": 30, "is_active": "on"}
    )
    assert response.status_code == 302
    bulky_setup.chuo.refresh_from_db()
    assert bulky_setup.chuo.weekdays == "14" and bulky_setup.chuo.capacity_points == 30

    waste_client.post("/bulky/setup/closures/", {"date": bookable_date(20).isoformat(), "area": "", "reason": "年末年始"})
    assert "年末年始" in waste_client.get("/bulky/setup/closures/").content.decode()

    response = waste_client.post(
        "/bulky/setup/",
        {
            "earliest_days_ahead": 5,
            "latest_days_ahead": 2,
            "cancel_deadline_days": 1,
            "max_items_per_booking": 10,
            "max_per_item": 5,
            "link_ttl_minutes": 30,
            "session_minutes": 30,
            "payment_note": "処理券",
        },
    )
    assert "受付開始より後" in response.content.decode()

    # Admins manage the catalogue too; road staff do not.
    admin = Client()
    admin.force_login(make_staff(roles.ADMIN))
    assert admin.get("/bulky/setup/items/").status_code == 200
    road = Client()
    road.force_login(make_staff(roles.ROAD))
    assert road.get("/bulky/setup/items/").status_code == 403
