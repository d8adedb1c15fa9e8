"""A resident books from the LINE chat, gets the confirmation push, views and cancels."""

import datetime as dt
import re

from intake.bulky.models import Booking, BookingLink, BulkySettings, CollectionDay
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date


def test_resident_books_gets_push_and_cancels(bulky_setup, open_booking_page, line_resident, line_emulator, settings):
    page = open_booking_page(user_id_for("bulky-resident-1"))
    response = page.client.get("/bulky/r/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "椅子" in html and "500円" in html
    assert "冷蔵庫：家電リサイクル" in html  # refused items are listed with the reason

    date = bookable_date(7)
    form = page.form(area=bulky_setup.chuo.pk, collection_date=date.isoformat())
    form.update({f"qty_{bulky_setup.chair.pk}": "2", f"qty_{bulky_setup.sofa.pk}": "1"})
    response = page.book(form)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert re.fullmatch(r"G-\d{4}-\d{6}", booking.number)
    assert booking.total_fee_yen == 2000 and booking.total_points == 4
    assert CollectionDay.objects.get(area=bulky_setup.chuo, date=date).used_points == 4

    detail = page.client.get(response["Location"]).content.decode()
    assert booking.number in detail and "2,000円" in detail

    pushed = line_emulator.received_texts(page.user_id)[-1]
    assert booking.number in pushed
    assert "2,000円" in pushed and "処理券" in pushed and "椅子×2" in pushed

    # The next visit prefills nothing: the previous address is offered masked, to choose.
    again = open_booking_page(page.user_id)
    html = again.client.get("/bulky/r/").content.decode()
    assert "天神1-8-1" not in html and "711-4111" not in html
    assert "前回の住所（福岡市中央区…1-8-1" in html

    # 「予約確認」 in the chat lists the booking with a cancel button.
    line_resident.text(page.user_id, "予約確認")
    listing = line_emulator.received(page.user_id)[-1]
    assert booking.number in listing["text"]
    buttons = [i["action"]["data"] for i in listing["quickReply"]["items"]]
    assert f"flow=bulky&action=cancel&booking={booking.pk}" in buttons

    # Cancel from the page before the deadline: capacity goes back, the resident is told.
    response = again.client.post(f"/bulky/r/bookings/{booking.pk}/cancel/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert CollectionDay.objects.get(area=bulky_setup.chuo, date=date).used_points == 0
    assert "取り消しました" in line_emulator.received_texts(page.user_id)[-1]


def test_cancel_from_the_chat_and_after_the_deadline(bulky_setup, open_booking_page, line_resident, line_emulator):
    page = open_booking_page(user_id_for("bulky-resident-2"))
    form = page.form(area=bulky_setup.hakata.pk, collection_date=bookable_date(10).isoformat(), items={bulky_setup.bike: 1})
    assert page.book(form).status_code == 302
    booking = Booking.objects.get()

    line_resident.postback(page.user_id, f"flow=bulky&action=cancel&booking={booking.pk}")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "取り消しました" in line_emulator.received_texts(page.user_id)[-1]

    # A booking whose deadline has passed: collection in 3 days, cancellation until 5 days before.
    BulkySettings.objects.filter(pk=1).update(cancel_deadline_days=5)
    form = page.form(area=bulky_setup.hakata.pk, collection_date=bookable_date(3).isoformat(), items={bulky_setup.bike: 1})
    assert page.book(form).status_code == 302
    late = Booking.objects.latest("pk")
    response = page.client.post(f"/bulky/r/bookings/{late.pk}/cancel/", follow=True)
    late.refresh_from_db()
    assert late.status == Booking.Status.SUBMITTED
    assert "取消の期限" in response.content.decode()
    line_resident.text(page.user_id, "予約確認")
    assert "quickReply" not in line_emulator.received(page.user_id)[-1]  # no cancel button past the deadline


def test_link_is_single_use_short_lived_and_carries_no_line_id(
    bulky_setup, open_booking_page, line_resident, line_emulator, settings
):
    import time_machine

    user_id = user_id_for("bulky-resident-3")
    page = open_booking_page(user_id)
    link_text = [t for t in line_emulator.received_texts(user_id) if "/bulky/r/link/" in t][-1]
    url = re.search(r"https?://\S+/bulky/r/link/\S+/", link_text).group(0)
    path = "/" + url.split("/", 3)[3]
    assert url.startswith(settings.PORTAL_BASE_URL)
    # The token is a signed random nonce: no LINE user ID, no resident pk.
    assert user_id not in url
    nonce = path.split("/")[-2].split(":")[0]
    assert len(nonce) == 64 and BookingLink.objects.filter(nonce=nonce, resident=page.resident).exists()

    # Used once already by the fixture: a second use is refused.
    from django.test import Client

    second = Client().get(path)
    assert second.status_code == 403
    assert "すでに使用されています" in second.content.decode()

    # A newer link revokes an unused older one.
    line_resident.text(user_id, "粗大ごみ")
    older = re.search(r"/bulky/r/link/\S+/", line_emulator.received_texts(user_id)[-1]).group(0)
    line_resident.text(user_id, "粗大ごみ")
    response = Client().get(older)
    assert response.status_code == 403 and "無効になっています" in response.content.decode()

    # An expired link (after 30 minutes) and a tampered one.
    newest = re.search(r"/bulky/r/link/\S+/", line_emulator.received_texts(user_id)[-1]).group(0)
    with time_machine.travel(dt.timedelta(minutes=31), tick=False):
        response = Client().get(newest)
    assert response.status_code == 403 and "有効期限が切れています" in response.content.decode()
    response = Client().get(newest[:-3] + "xx/")
    assert response.status_code == 403 and "正しくありません" in response.content.decode()
    assert BookingLink.objects.filter(resident=page.resident, used_at__isnull=False).count() == 1

    # The session a link opened lasts 30 minutes; then a new link is needed.
    assert page.client.get("/bulky/r/").status_code == 200
    with time_machine.travel(dt.timedelta(minutes=31), tick=False):
        response = page.client.get("/bulky/r/")
    assert response.status_code == 403 and "新しいリンク" in response.content.decode()
    assert Client().get("/bulky/r/bookings/").status_code == 403


def test_booking_page_queries_do_not_grow_with_areas(bulky_setup, open_booking_page, assert_queries):
    from intake.bulky.models import Closure, CollectionArea
    from intake.bulky.selectors import available_dates
    from portal.line.models import Area

    for n in range(5):
        CollectionArea.objects.create(area=Area.objects.create(code=f"ward-{n}", name=f"第{n}区"), weekdays="14")
    Closure.objects.create(date=bookable_date(8), reason="祝日")
    Closure.objects.create(date=bookable_date(9), area=bulky_setup.hakata, reason="工事")
    CollectionDay.objects.create(area=bulky_setup.chuo, date=bookable_date(10), capacity_points=10, used_points=10)
    page = open_booking_page(user_id_for("queries"))
    with assert_queries(9):
        html = page.client.get("/bulky/r/").content.decode()
    for area in CollectionArea.objects.all():
        offered = re.findall(rf'<option value="([\d-]+)" data-area="{area.pk}"', html)
        assert offered == [d.isoformat() for d, _free in available_dates(area=area)]
    assert f'value="{bookable_date(9).isoformat()}" data-area="{bulky_setup.chuo.pk}"' in html
    assert f'value="{bookable_date(9).isoformat()}" data-area="{bulky_setup.hakata.pk}"' not in html


def test_link_nonces_are_256_random_bits_not_two_uuid4s(bulky_setup, line_resident):
    # uuid4().hex * 2 fixes the version and variant nibbles (244 random bits): 40 nonces that
    # all had '4' at hex position 12 and 44 would be that construction, not secrets.token_hex(32).
    from intake.bulky import services as bulky_services
    from portal.line.models import Resident

    resident = Resident.objects.create(line_user_id=user_id_for("bulky-nonce"), status=Resident.Status.ACTIVE)
    for _ in range(40):
        bulky_services.link_issue(resident=resident)
    nonces = list(BookingLink.objects.filter(resident=resident).values_list("nonce", flat=True))
    assert len(nonces) == 40 and all(len(n) == 64 and int(n, 16) >= 0 for n in nonces)
    assert not all(n[12] == "4" and n[44] == "4" for n in nonces)
    assert len({n[12] for n in nonces}) > 4  # the version nibble position is random too
