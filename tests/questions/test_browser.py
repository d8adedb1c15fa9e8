"""Editing an entry and trying it (試してみる) in headless Chromium, axe-clean at both sizes."""

import pytest

from accounts import roles
from intake.questions.demo import load_demo
from intake.questions.models import FaqEntry
from tests.fixtures.browser import VIEWPORTS, assert_accessible, browser_force_login, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait(browser, predicate, timeout=10):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(lambda d: predicate(d))


def _submit(browser, selector: str) -> None:
    from selenium.webdriver.common.by import By

    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    _wait(browser, lambda d: old != d.find_element(By.TAG_NAME, "html"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_edit_an_entry_and_try_it_from_the_draft(browser, axe_source, make_staff, line_emulator, viewport):
    from selenium.webdriver.common.by import By

    load_demo(lambda _text: None)
    set_viewport(browser, *VIEWPORTS[viewport])
    browser_force_login(browser, make_staff(roles.PR_AUTHOR))
    entry = FaqEntry.objects.get(key="FAQ-0002")

    browser.get(browser.live_server_url + "/questions/?q=手数料")
    assert_accessible(browser, axe_source, f"項目一覧 @ {viewport}")
    browser.find_element(By.LINK_TEXT, "FAQ-0002").click()
    _wait(browser, lambda d: "FAQ-0002" in d.find_element(By.TAG_NAME, "h1").text)
    assert_accessible(browser, axe_source, f"項目 @ {viewport}")
    browser.find_element(By.LINK_TEXT, "編集").click()
    _wait(browser, lambda d: "項目の編集" in d.find_element(By.TAG_NAME, "h1").text)
    assert_accessible(browser, axe_source, f"項目の編集 @ {viewport}")
    answer = browser.find_element(By.ID, "id_answer")
    answer.clear()
    answer.send_keys("粗大ごみの手数料は、ブラウザで書き換えた800円です。")
    browser.find_element(By.ID, "id_en_answer").clear()
    browser.find_element(By.ID, "id_en_answer").send_keys("The fee is now 800 yen.")
    _submit(browser, "form.portal-form button[type=submit]")
    assert "下書きに保存しました" in browser.page_source
    assert "公開中（変更あり）" in browser.page_source

    # 試してみる on the entry's page: prefilled with its question, answered from the draft.
    assert browser.find_element(By.ID, "id_text").get_attribute("value") == entry.question
    _submit(browser, "form[action='/questions/try/'] button[type=submit]")
    result = browser.find_element(By.ID, "try-answer")
    assert "回答します" in result.text
    assert "ブラウザで書き換えた800円" in result.text
    assert_accessible(browser, axe_source, f"試してみる（結果） @ {viewport}")
    select = browser.find_element(By.ID, "id_language")
    select.find_element(By.CSS_SELECTOR, "option[value=en]").click()
    text = browser.find_element(By.ID, "id_text")
    text.clear()
    text.send_keys("How much does bulky waste collection cost?")
    _submit(browser, "form.portal-form button[type=submit]")
    assert "The fee is now 800 yen." in browser.find_element(By.ID, "try-answer").text

    # The chat still answers from the published version until 公開.
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.CHANGED
    browser.get(browser.live_server_url + "/questions/base/1/")
    assert_accessible(browser, axe_source, f"公開 @ {viewport}")
    _submit(browser, "form[action='/questions/base/1/publish/'] button[type=submit]")
    assert "第2版を公開しました" in browser.page_source
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.PUBLISHED
