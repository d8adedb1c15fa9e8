"""The waste desk's booking queue on a 390×844 phone (issue 12, walked as a newcomer): the
table scrolls sideways inside its frame instead of wrapping 品目 a character or two per line
and 受付番号 over two lines; the page itself never gets wider than the phone."""

import pytest
from django.test import Client
from selenium.webdriver.common.by import By

from accounts import roles
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.browser import PHONE, set_viewport
from tests.fixtures.bulky import bookable_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_booking_queue_fits_a_phone(browser, bulky_setup, make_staff, settings):
    from intake.bulky import services
    from portal.line.models import Resident

    booking = services.booking_create(
        resident=Resident.objects.create(line_user_id=user_id_for("queue-phone")),
        area=bulky_setup.chuo,
        collection_date=bookable_date(7),
        quantities={bulky_setup.chair.pk: 2, bulky_setup.sofa.pk: 1},
        address="福岡市中央区大名1-1",
        phone="092-000-0000",
    )
    client = Client()
    client.force_login(make_staff(roles.WASTE))
    browser.get(browser.live_server_url + "/healthz")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value})
    set_viewport(browser, *PHONE)
    browser.get(browser.live_server_url + "/bulky/")
    link = browser.find_element(By.LINK_TEXT, booking.number)
    items = browser.find_element(By.CSS_SELECTOR, "table.bulky-queue tbody td.bulky-queue-items")
    assert "椅子×2" in items.text
    line_height = browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", link)
    assert link.size["height"] < 1.5 * line_height, "受付番号 wraps onto two lines"
    assert items.size["width"] >= 150, f"品目 is squeezed to {items.size['width']} px"
    page_width, window_width = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert page_width <= window_width, "the page is wider than the phone: only the table may scroll"
