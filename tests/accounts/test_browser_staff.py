"""In a real browser: an admin invites a staff member with two roles; the new member opens
the invitation link, sets a password, signs in and sees only their own sections."""

import os
import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By

from accounts import roles
from tests.fixtures.accounts import totp_code_for
from tests.fixtures.browser import browser_click, browser_sign_in, browser_sign_out, browser_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")  # a folder: save layout screenshots there


def _shoot(browser, name: str) -> None:
    if not SCREENSHOTS:
        return
    for width in (1280, 800):
        browser.set_window_size(width, 900)
        browser.save_screenshot(os.path.join(SCREENSHOTS, f"{name}-{width}.png"))
    browser.set_window_size(1280, 900)


def test_admin_invites_staff_who_sets_a_password_and_sees_only_their_sections(browser, make_staff):
    make_staff(roles.ROAD, email="road-old@city.example.jp")
    make_staff(roles.AUDITOR, email="auditor@city.example.jp", is_active=False)
    admin = make_staff(roles.ADMIN, email="chief@city.example.jp", full_name="管理 太郎")
    browser_sign_in(browser, admin.email, "pass-word-123", totp=lambda: totp_code_for(admin))
    _shoot(browser, "dashboard")

    browser_click(browser, browser.find_element(By.LINK_TEXT, "職員管理"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "職員管理"
    _shoot(browser, "staff-list")
    browser_click(browser, browser.find_element(By.LINK_TEXT, "職員を招待"))
    browser.find_element(By.ID, "id_email").send_keys("newcomer@city.example.jp")
    browser.find_element(By.ID, "id_full_name").send_keys("新人 一郎")
    browser.find_element(By.ID, "id_department").send_keys("道路課")
    browser.find_element(By.CSS_SELECTOR, f"input[name=roles][value={roles.ROAD}]").click()
    browser.find_element(By.CSS_SELECTOR, f"input[name=roles][value={roles.AUDITOR}]").click()
    browser_submit(browser, "form.portal-form")
    assert "newcomer@city.example.jp に招待メールを送信しました" in browser.find_element(By.CSS_SELECTOR, ".alert").text
    row = browser.find_element(By.XPATH, "//tr[td[contains(., 'newcomer@city.example.jp')]]").text
    assert "招待中" in row and "道路維持担当" in row and "監査担当" in row
    browser_sign_out(browser)

    link = re.search(r"(http://\S+/staff/invitation/\S+/)", mail.outbox[-1].body).group(1)
    browser.get(link)
    browser.find_element(By.ID, "id_new_password1").send_keys("Newcomer-pass-8642")
    browser.find_element(By.ID, "id_new_password2").send_keys("Newcomer-pass-8642")
    browser_submit(browser)
    assert "/accounts/login/" in browser.current_url
    assert "パスワードを設定しました" in browser.find_element(By.CSS_SELECTOR, ".alert").text

    browser_sign_in(browser, "newcomer@city.example.jp", "Newcomer-pass-8642")
    assert browser.find_element(By.TAG_NAME, "h1").text == "ダッシュボード"
    nav = browser.find_element(By.CSS_SELECTOR, "nav.site-nav").text
    assert "監査ログ" in nav  # auditor role
    assert "職員管理" not in nav  # not an admin
    browser.get(browser.live_server_url + "/staff/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "このページを開く権限がありません"
    assert "職員を招待" not in browser.page_source

    # the link was single-use
    browser_sign_out(browser)
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "招待リンクが無効です"
