"""The capacity calendar's key (what 「休止」 and a blank cell mean) is readable whole at a
laptop's 1366×768 and a phone's 390×844 (issue 12, walked as a newcomer): as the caption of a
table wider than the screen it was centred across the table, its end out of sight."""

import pytest
from django.test import Client
from selenium.webdriver.common.by import By

from accounts import roles
from tests.fixtures.browser import VIEWPORTS, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_calendar_key_is_on_screen(viewport, browser, bulky_setup, make_staff, settings):
    client = Client()
    client.force_login(make_staff(roles.WASTE))
    browser.get(browser.live_server_url + "/healthz")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value})
    set_viewport(browser, *VIEWPORTS[viewport])
    browser.get(browser.live_server_url + "/bulky/calendar/")
    keys = browser.find_elements(By.XPATH, "//*[contains(text(), '空欄は収集のない曜日です')]")
    key = next(e for e in keys if e.is_displayed())
    left, right, width = browser.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.left, r.right, document.documentElement.clientWidth]", key
    )
    assert 0 <= left and right <= width, f"the key runs from {left} to {right} px in a {width} px window"
