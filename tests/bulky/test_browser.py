"""In a real browser: a resident books on the phone-sized booking page (fee total shown live)
and cancels; waste staff review bookings (approve, reschedule) in the queue."""

import os
import re

import pytest
from django.test import Client
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from accounts import roles
from intake.bulky.models import Booking
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")  # a folder: save layout screenshots there


def _shoot(browser, name: str) -> None:
    if SCREENSHOTS:
        height = browser.execute_script("return document.body.scrollHeight")
        width = browser.execute_script("return window.innerWidth")
        browser.set_window_size(width, max(height, 844))
        browser.save_screenshot(os.path.join(SCREENSHOTS, f"bulky-{name}.png"))


def _wait_for(predicate, timeout: float = 5.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None  # the page is being replaced by the next one
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _link_from_the_chat(line_resident, line_emulator, user_id: str) -> str:
    """The resident follows and sends 「粗大ごみ」: the booking link the chat replies with."""
    line_resident.follow(user_id)
    line_resident.text(user_id, "粗大ごみ")
    link = re.search(r"https?://\S+/bulky/r/link/\S+/", line_emulator.received_texts(user_id)[-1])
    assert link, line_emulator.received_texts(user_id)
    return link.group(0)


def _set_quantity(browser, item, count: int) -> None:
    field = browser.find_element(By.ID, f"qty_{item.pk}")
    field.clear()
    field.send_keys(str(count))


def _date_option(browser, date, area):
    """The booking form's collection-date choice of ``date`` in ``area``."""
    return browser.find_element(By.CSS_SELECTOR, f"#collection_date option[value='{date.isoformat()}'][data-area='{area.pk}']")


def _type_contact(browser, address: str, phone: str) -> None:
    browser.find_element(By.ID, "address").send_keys(address)
    browser.find_element(By.ID, "phone").send_keys(phone)


def test_resident_books_and_cancels_on_a_phone(browser, bulky_setup, line_resident, line_emulator, settings):
    settings.PORTAL_BASE_URL = browser.live_server_url
    url = _link_from_the_chat(line_resident, line_emulator, user_id_for("phone"))

    browser.set_window_size(390, 844)
    browser.get(url)
    # The link's page (GET uses nothing up); its button opens the booking page.
    browser.find_element(By.ID, "open-booking").click()
    _wait_for(lambda: browser.find_elements(By.ID, "booking-form"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "粗大ごみ収集の申込"
    # Phone-first: nothing wider than the screen.
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390

    _set_quantity(browser, bulky_setup.chair, 2)
    _set_quantity(browser, bulky_setup.sofa, 1)
    _wait_for(lambda: browser.find_element(By.ID, "fee-total").text == "2,000")
    _shoot(browser, "resident-book")
    browser.set_window_size(390, 844)

    Select(browser.find_element(By.ID, "area")).select_by_visible_text("博多区")
    date = bookable_date(9)
    # Only 博多区's dates can be chosen now (the other areas' groups are disabled).
    _date_option(browser, date, bulky_setup.hakata).click()
    assert not _date_option(browser, date, bulky_setup.chuo).is_enabled()
    _type_contact(browser, "福岡市博多区博多駅前2-9-3", "092-000-1234")
    browser.find_element(By.ID, "submit-booking").click()
    # 確認: nothing booked yet; the page shows what will be booked.
    _wait_for(lambda: browser.find_elements(By.ID, "confirm-form"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "申込内容の確認"
    assert "2,000円" in browser.find_element(By.ID, "confirm-fee").text
    assert Booking.objects.count() == 0
    browser.find_element(By.ID, "submit-booking").click()

    number = _wait_for(lambda: browser.find_element(By.ID, "booking-number").text)
    booking = Booking.objects.get()
    assert number == booking.number and booking.area == bulky_setup.hakata and booking.collection_date == date
    assert "申込を受け付けました" in browser.page_source
    _wait_for(lambda: any(booking.number in t for t in line_emulator.received_texts(user_id_for("phone"))))

    browser.find_element(By.ID, "cancel-booking").click()
    _wait_for(lambda: "申込を取り消しました" in browser.page_source)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_staff_review_in_the_browser(browser, bulky_setup, make_staff, line_emulator, settings):
    from intake.bulky import services
    from portal.line.models import Resident

    bookings = []
    for n in range(2):
        resident = Resident.objects.create(line_user_id=user_id_for(f"review-{n}"))
        bookings.append(
            services.booking_create(
                resident=resident,
                area=bulky_setup.chuo,
                collection_date=bookable_date(7),
                quantities={bulky_setup.bike.pk: 1},
                address=f"福岡市中央区大名{n + 1}-1",
                phone="092-000-0000",
            )
        )
    client = Client()
    client.force_login(make_staff(roles.WASTE))
    browser.get(browser.live_server_url + "/healthz")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value})

    browser.get(browser.live_server_url + "/bulky/?status=submitted")
    browser.find_element(By.LINK_TEXT, bookings[0].number).click()
    assert "福岡市中央区大名1-1" in browser.page_source
    _shoot(browser, "staff-booking")
    browser.set_window_size(1280, 900)
    browser.find_element(By.ID, "approve").click()
    _wait_for(lambda: browser.find_element(By.ID, "booking-status").text == "確認済")
    assert "確認済にし、住民にLINEで通知しました" in browser.page_source

    browser.get(browser.live_server_url + "/bulky/")
    browser.find_element(By.LINK_TEXT, bookings[1].number).click()
    new_date = bookable_date(10)
    browser.execute_script("document.getElementById('id_new_date').value = arguments[0]", new_date.isoformat())
    browser.find_element(By.ID, "reschedule").click()
    _wait_for(lambda: "収集日を変更し" in browser.page_source)
    assert f"{new_date.month}月{new_date.day}日" in browser.find_element(By.ID, "booking-date").text

    browser.get(browser.live_server_url + "/bulky/calendar/")
    assert "中央区" in browser.page_source
    _wait_for(lambda: any("収集日が変更になりました" in t for t in line_emulator.received_texts(user_id_for("review-1"))))
    _wait_for(lambda: any("確認しました" in t for t in line_emulator.received_texts(user_id_for("review-0"))))


def test_booking_steps_are_accessible_with_every_error_shown(browser, axe, bulky_setup, line_resident, line_emulator, settings):
    """The link's page, the form with every problem (summary first, each linked to its field),
    the 確認 page and 完了: axe finds nothing serious at phone size."""
    settings.PORTAL_BASE_URL = browser.live_server_url
    url = _link_from_the_chat(line_resident, line_emulator, user_id_for("a11y-steps"))
    browser.set_window_size(390, 844)
    browser.get(url)
    axe("link page")
    browser.find_element(By.ID, "open-booking").click()
    _wait_for(lambda: browser.find_elements(By.ID, "booking-form"))

    browser.find_element(By.ID, "submit-booking").click()  # nothing filled in
    summary = _wait_for(lambda: browser.find_element(By.ID, "error-summary"))
    links = summary.find_elements(By.TAG_NAME, "a")
    assert len(links) >= 5  # items, area, address, phone, date: all at once
    assert browser.switch_to.active_element == summary  # focus moves to the summary
    axe("form with errors")
    links[2].click()  # 「収集場所の住所を入力してください」 → the address field
    assert browser.switch_to.active_element.get_attribute("id") == "address"

    _set_quantity(browser, bulky_setup.chair, 1)
    Select(browser.find_element(By.ID, "area")).select_by_visible_text("中央区")
    _date_option(browser, bookable_date(7), bulky_setup.chuo).click()
    _type_contact(browser, "福岡市中央区天神1-8-1", "092-711-4111")
    browser.find_element(By.ID, "submit-booking").click()
    _wait_for(lambda: browser.find_elements(By.ID, "confirm-form"))
    axe("confirm page")
    browser.find_element(By.ID, "submit-booking").click()
    _wait_for(lambda: browser.find_elements(By.ID, "booking-number"))
    assert browser.find_element(By.CSS_SELECTOR, "[aria-current=step]").text.endswith("完了")
    axe("done page")
    assert Booking.objects.count() == 1


def test_set_up_pages_with_calendar_closures_are_accessible(browser, axe, bulky_setup, make_staff):
    from intake.bulky.models import BulkySettings
    from tests.fixtures.browser import browser_force_login

    BulkySettings.objects.filter(pk=1).update(close_national_holidays=True, close_year_end=True)
    browser_force_login(browser, make_staff(roles.WASTE))
    for path in ("/bulky/setup/", "/bulky/setup/closures/", "/bulky/calendar/?start=2026-12-27"):
        for width, height in ((1366, 768), (390, 844)):
            browser.set_window_size(width, height)
            browser.get(browser.live_server_url + path)
            axe(f"{path} at {width}")
    assert "元日" in browser.page_source
