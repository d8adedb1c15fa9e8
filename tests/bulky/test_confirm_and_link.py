"""The booking form's 入力 → 確認 → 完了 steps with every problem listed at once, and the
single-use link: GET and HEAD only show a page (a link preview uses nothing up), POST uses
it; nothing personal is prefilled for whoever opens the next link."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from intake.bulky.models import Booking, BookingLink, CollectionDay
from portal.line.models import OutboundMessage
from tests.fixtures.bulky import URL_RE, bookable_date, uid


def _nothing_booked() -> bool:
    return (
        not Booking.objects.exists()
        and not CollectionDay.objects.filter(used_points__gt=0).exists()
        and not OutboundMessage.objects.filter(purpose__startswith="bulky.booked").exists()
    )


def test_confirm_step_books_nothing_until_the_resident_confirms(bulky_setup, open_booking_page, line_emulator):
    page = open_booking_page(uid(10))
    form = page.form(
        area=bulky_setup.chuo.pk, collection_date=bookable_date(7).isoformat(), items={bulky_setup.chair: 2, bulky_setup.sofa: 1}
    )

    response = page.client.post("/bulky/r/", form)  # the input form's button (確認へ)
    html = response.content.decode()
    assert response.status_code == 200
    assert "申込内容の確認" in html and 'aria-current="step">2. 確認' in html
    assert "椅子 × 2" in html and "2,000円" in html and "福岡市中央区天神1-8-1" in html
    assert _nothing_booked()

    # 修正する: back to the form with what was typed.
    back = page.client.post("/bulky/r/", {**form, "step": "edit"}).content.decode()
    assert 'aria-current="step">1. 入力' in back and 'value="福岡市中央区天神1-8-1"' in back
    assert re.search(rf'id="qty_{bulky_setup.chair.pk}"[^>]*value="2"', back)
    assert _nothing_booked()

    # The confirmation page's own form carries everything; its 申し込む books once.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert hidden["form_token"] == form["form_token"] and hidden[f"qty_{bulky_setup.chair.pk}"] == "2"
    response = page.client.post("/bulky/r/", {**hidden, "step": "submit"})
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.total_fee_yen == 2000
    done = page.client.get(response["Location"]).content.decode()
    assert 'aria-current="step">3. 完了' in done and booking.number in done
    assert sum(booking.number in t for t in line_emulator.received_texts(page.user_id)) == 1


def test_an_empty_submit_lists_every_problem_at_once(bulky_setup, open_booking_page):
    page = open_booking_page(uid(11))
    response = page.client.post("/bulky/r/", {"form_token": "", "step": "confirm"})
    html = response.content.decode()
    assert response.status_code == 400
    expected = {
        "items": "出す品目を1点以上選んでください",
        "area": "収集地域を選んでください",
        "address": "収集場所の住所を入力してください",
        "phone": "電話番号を入力してください",
        "collection_date": "収集日を選んでください",
    }
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert "件の問題があります" in summary
    for field, message in expected.items():
        assert message in summary, field
        # Each field points at its message (aria-describedby) and says it is invalid.
        tag = re.search(rf'<[a-z]+ [^>]*id="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag, tag
        assert re.search(rf'aria-describedby="[^"]*\b{field}-error\b', tag), tag
        assert f'id="{field}-error"' in html
    assert 'href="#address"' in summary and 'href="#phone"' in summary and 'href="#area"' in summary
    assert _nothing_booked()


def test_several_problems_are_all_named_and_the_final_submit_checks_again(bulky_setup, open_booking_page):
    from intake.bulky.models import Closure

    Closure.objects.create(date=bookable_date(8), reason="臨時休止")
    page = open_booking_page(uid(12))
    form = page.form(
        area=bulky_setup.chuo.pk,
        collection_date=bookable_date(8).isoformat(),
        phone="abc",
        items={bulky_setup.fridge: 1, bulky_setup.chair: 6},
    )
    for step in ("confirm", "submit"):
        html = page.client.post("/bulky/r/", {**form, "step": step}).content.decode()
        assert "「冷蔵庫」は粗大ごみとして収集できません" in html
        assert "「椅子」は1回の申込で5点までです" in html
        assert "電話番号を正しく入力してください" in html
        assert "休止日（臨時休止）のため収集できません" in html
    assert _nothing_booked()


def _link_path(line_resident, line_emulator, user_id: str) -> str:
    line_resident.text(user_id, "粗大ごみ")
    text = [t for t in line_emulator.received_texts(user_id) if "/bulky/r/link/" in t][-1]
    return urlsplit(URL_RE.search(text).group(0)).path


def test_get_and_head_never_use_the_link_up_post_does(bulky_setup, line_resident, line_emulator):
    user_id = uid(13)
    line_resident.follow(user_id)
    path = _link_path(line_resident, line_emulator, user_id)

    preview = Client(HTTP_USER_AGENT="facebookexternalhit/1.1")  # a chat app's link preview
    for _ in range(3):
        assert preview.head(path).status_code == 200
        page = preview.get(path)
        assert page.status_code == 200
    assert BookingLink.objects.get().used_at is None
    html = page.content.decode()
    assert f'<form method="post" action="{path}"' in html and 'id="open-booking"' in html
    assert "no-store" in page["Cache-Control"]
    # The preview opened no session.
    assert preview.get("/bulky/r/").status_code == 403

    resident = Client()
    assert resident.get(path).status_code == 200
    response = resident.post(path)
    assert response.status_code == 302 and response["Location"] == "/bulky/r/"
    assert BookingLink.objects.get().used_at is not None
    assert resident.get("/bulky/r/").status_code == 200

    # Used: neither a second POST nor a GET opens anything.
    again = Client()
    assert again.post(path).status_code == 403
    response = again.get(path)
    assert response.status_code == 403 and "すでに使用されています" in response.content.decode()
    assert again.get("/bulky/r/").status_code == 403


def test_nothing_personal_is_prefilled_for_whoever_opens_the_next_link(bulky_setup, open_booking_page):
    address, phone = "福岡市博多区博多駅前1-2-3 メゾン山田101", "090-1234-5678"
    first = open_booking_page(uid(14))
    form = first.form(area=bulky_setup.hakata.pk, address=address, phone=phone, items={bulky_setup.chair: 1})
    assert first.book(form).status_code == 302
    previous = Booking.objects.get()

    second = open_booking_page(uid(14))  # the next link, opened in another browser
    pages = [second.client.get("/bulky/r/"), second.client.get("/bulky/r/bookings/")]
    pages.append(second.client.get(f"/bulky/r/bookings/{previous.pk}/"))
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        for secret in ("博多駅前", "メゾン", "山田", "1234-5678", "090-1234", "09012345678"):
            assert secret not in html
    html = pages[0].content.decode()
    assert "前回の住所（福岡市博多区…" in html and "一部を伏せて表示" in html
    assert "前回の電話番号（末尾 5678）" in html
    assert not re.search(r'name="address_choice" value="previous"[^>]*checked', html)  # the resident chooses
    assert 'id="address" name="address" value=""' in html and 'id="phone" name="phone" value=""' in html

    # Choosing the masked previous address and phone: the confirmation page shows them
    # masked too, and the booking gets the stored ones.
    def nothing_typed(address_choice: str) -> dict:  # a fresh form (its own form token) each time
        return second.form(
            area=bulky_setup.hakata.pk,
            address="",
            phone="",
            address_choice=address_choice,
            phone_choice="previous",
            items={bulky_setup.bike: 1},
        )

    form = nothing_typed("previous")
    confirm = second.confirm(form).content.decode()
    assert "博多駅前" not in confirm and "1234-5678" not in confirm and "末尾 5678" in confirm
    assert second.client.post("/bulky/r/", {**form, "step": "submit"}).status_code == 302
    booking = Booking.objects.latest("pk")
    assert (booking.address, booking.phone) == (address, phone)

    # Choosing "new" without typing: a clear message, nothing booked.
    response = second.confirm(nothing_typed("new"))
    assert response.status_code == 400 and "収集場所の住所を入力してください" in response.content.decode()
    assert Booking.objects.count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"area": "9" * 30},
        {"area": "-1"},
        {"qty_" + "9" * 30: "1"},
        {"qty_1": "9" * 30},
        {"collection_date": "2026-13-45"},
        {"form_token": "not-a-uuid"},
        {"address": "あ" * 500},
    ],
)
def test_hostile_values_get_a_clear_answer_not_a_500(overrides, bulky_setup, open_booking_page):
    page = open_booking_page(uid(15))
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 1})
    form.update(overrides)
    for step in ("confirm", "submit"):
        response = page.client.post("/bulky/r/", {**form, "step": step})
        assert response.status_code == 400, (step, response.status_code)
        assert "件の問題があります" in response.content.decode()
    assert _nothing_booked()
