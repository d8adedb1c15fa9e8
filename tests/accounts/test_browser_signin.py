"""In a real browser: an admin signs in with password + TOTP; screenshots of the layout."""

import pytest
from selenium.webdriver.common.by import By

from accounts import roles
from tests.fixtures.accounts import totp_code_for
from tests.fixtures.browser import browser_sign_in, browser_sign_out, browser_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_with_password_and_totp(browser, make_staff, tmp_path):
    admin = make_staff(roles.ADMIN, email="chief@city.example.jp")
    browser_sign_in(browser, admin.email, "pass-word-123")
    # the password alone is not enough
    assert "/accounts/2fa/authenticate/" in browser.current_url
    browser.get(browser.live_server_url + "/staff/")
    assert "/staff/" not in browser.current_url  # sent back to the code prompt
    browser.get(browser.live_server_url + "/accounts/2fa/authenticate/")
    browser.find_element(By.ID, "id_code").send_keys(totp_code_for(admin))
    browser_submit(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "ダッシュボード"
    nav = browser.find_element(By.CSS_SELECTOR, "nav.site-nav").text
    assert "職員管理" in nav and "監査ログ" in nav
    browser_sign_out(browser)
    assert "/accounts/login/" in browser.current_url


def test_wrong_totp_code_is_refused(browser, make_staff):
    admin = make_staff(roles.ADMIN)
    browser_sign_in(browser, admin.email, "pass-word-123")
    browser.find_element(By.ID, "id_code").send_keys("000000")
    browser_submit(browser)
    assert "/accounts/2fa/authenticate/" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, ".errorlist, .alert-error").is_displayed()
