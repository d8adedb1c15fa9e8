"""In a real browser: a handler opens a conversation from the inbox, assigns it, replies and
closes it; the resident gets the reply once; axe-clean at 1366×768 and 390×844 on each step."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from accounts import roles
from intake.inbox.models import Inquiry
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.browser import VIEWPORTS, browser_click, browser_force_login, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USER = user_id_for("browser-inbox")
REPLY = "市民会館の駐車場は80台です。満車のときは市役所の駐車場をご利用ください。"


def _check_both_sizes(browser, axe, label: str) -> None:
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        browser.refresh()
        axe(f"{label} @ {name}")
    set_viewport(browser, *VIEWPORTS["laptop"])


def test_open_assign_reply_close(browser, axe, make_staff, line_resident, line_emulator):
    handler = make_staff(roles.PR_AUTHOR, full_name="広報 花子")
    make_staff(roles.ROAD, full_name="道路 太郎")
    line_resident.follow(USER)
    line_resident.text(USER, "キャンセル")
    line_resident.text(USER, "市民会館の駐車場は何台とめられますか")
    inquiry = Inquiry.objects.get(resident__line_user_id=USER)
    line_emulator.expire_reply_tokens()

    browser_force_login(browser, handler)
    browser.get(browser.live_server_url + "/inbox/")
    assert "LINEでは個人情報や機微な相談は受け付けていません" in browser.page_source
    _check_both_sizes(browser, axe, "問い合わせ一覧")

    # open
    browser_click(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/inbox/{inquiry.pk}/']"))
    assert "市民会館の駐車場は何台とめられますか" in browser.find_element(By.ID, "timeline").text
    assert line_emulator.read_marks(USER), "opening it marked the resident's message read"
    _check_both_sizes(browser, axe, "問い合わせ")

    # assign to the roads team, a named person
    Select(browser.find_element(By.ID, "id_team")).select_by_value("roads")
    Select(browser.find_element(By.ID, "id_assignee")).select_by_visible_text("道路 太郎")
    browser_click(browser, browser.find_element(By.ID, "assign"))
    assert "道路（道路 太郎）" in browser.find_element(By.ID, "inquiry-assignee").text

    # reply (free text), the state unchanged
    browser.find_element(By.ID, "id_text").send_keys(REPLY)
    browser_click(browser, browser.find_element(By.ID, "send-reply"))
    assert REPLY in browser.find_element(By.ID, "timeline").text
    assert browser.find_element(By.ID, "inquiry-status").text == "未対応"
    assert line_emulator.received_texts(USER).count(REPLY) == 1
    # reloading the page after the reply (the redirect's GET) sends nothing more
    _check_both_sizes(browser, axe, "返信後")
    assert browser.find_element(By.ID, "timeline").text.count(REPLY) == 1

    # close
    browser_click(browser, browser.find_element(By.ID, "close"))
    assert browser.find_element(By.ID, "inquiry-status").text == "完了"
    assert not browser.find_elements(By.ID, "send-reply")
    _check_both_sizes(browser, axe, "完了")
    inquiry.refresh_from_db()
    assert inquiry.status == "done" and inquiry.team == "roads"
    assert line_emulator.received_texts(USER).count(REPLY) == 1
