"""Compose → live estimate → submit → (approver) approve → send → delivered, in headless Chromium."""

import pytest
from django.test import Client

from broadcasts.models import Broadcast

pytestmark = [pytest.mark.browser]


def _sign_in(browser, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    browser.delete_all_cookies()
    browser.get(browser.live_server_url + "/healthz")
    browser.add_cookie({"name": "sessionid", "value": cookie.value, "path": "/"})


def _wait(browser, predicate, timeout=10):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(lambda d: predicate(d))


@pytest.mark.django_db(transaction=True)
def test_compose_estimate_approve_send_delivered(
    browser, line_emulator, segment_world, make_residents, author, approver, settings
):
    from selenium.webdriver.common.by import By

    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: 30 reads under 50, 100 about 100

    small, big = segment_world.areas[0], segment_world.areas[1]
    make_residents(30, area=small)
    big_ids = make_residents(70, area=big)

    _sign_in(browser, author)
    browser.get(browser.live_server_url + "/broadcasts/new/")
    browser.find_element(By.ID, "id_title").send_keys("ブラウザからの配信")
    browser.find_element(By.CSS_SELECTOR, "label[for=aud-seg]").click()
    browser.find_element(By.CSS_SELECTOR, f"label[for=area-{small.pk}]").click()
    reach = browser.find_element(By.ID, "reach-value")
    submit = browser.find_element(By.ID, "submit-for-approval")
    _wait(browser, lambda d: "50人未満" in reach.text)
    assert reach.text == "50人未満 — 最低配信人数に達していません"
    assert submit.is_enabled()  # a noisy estimate never blocks: the exact check at submit decides
    page_url = browser.current_url
    browser.find_element(By.CSS_SELECTOR, f"label[for=area-{big.pk}]").click()  # 30 + 70 = 100
    _wait(browser, lambda d: reach.text.startswith("約"))
    assert browser.current_url == page_url  # no reload: the estimate came over fetch()
    assert submit.is_enabled()
    browser.find_element(By.ID, "bubble-0-text").send_keys("こんにちは、市からのお知らせです")
    preview = browser.find_element(By.ID, "line-preview-messages")
    _wait(browser, lambda d: "市からのお知らせです" in preview.text)
    submit.click()
    _wait(browser, lambda d: "承認待ち" in d.find_element(By.TAG_NAME, "h1").text)
    b = Broadcast.objects.get(title="ブラウザからの配信")

    _sign_in(browser, approver)
    browser.get(browser.live_server_url + f"/broadcasts/{b.pk}/review/")
    assert "すぐに配信が始まります" in browser.find_element(By.ID, "approval-outcome").text
    browser.find_element(By.ID, "approve").click()  # 承認後すぐに配信: nothing else to press

    _sign_in(browser, author)
    browser.get(browser.live_server_url + f"/broadcasts/{b.pk}/")
    _wait(browser, lambda d: "配信完了" in d.find_element(By.ID, "p-headline").text, timeout=20)
    assert browser.find_element(By.ID, "p-reached").text.startswith("約")
    counts = line_emulator.counts()
    assert all(counts.get(uid) == 1 for uid in big_ids)
    assert line_emulator.received_texts(big_ids[0]) == ["こんにちは、市からのお知らせです"]
