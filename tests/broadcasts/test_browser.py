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
    _wait(browser, lambda d: "承認し、配信を開始しました" in d.page_source, timeout=20)

    _sign_in(browser, author)
    browser.get(browser.live_server_url + f"/broadcasts/{b.pk}/")
    _wait(browser, lambda d: "配信完了" in d.find_element(By.ID, "p-headline").text, timeout=20)
    assert browser.find_element(By.ID, "p-reached").text.startswith("約")
    counts = line_emulator.counts()
    assert all(counts.get(uid) == 1 for uid in big_ids)
    assert line_emulator.received_texts(big_ids[0]) == ["こんにちは、市からのお知らせです"]


def _script_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]


@pytest.mark.django_db(transaction=True)
def test_compose_pages_run_without_script_errors_and_show_the_schedule_only_for_scheduled(
    browser, segment_world, make_residents, author
):
    from selenium.webdriver.common.by import By

    make_residents(70, area=segment_world.areas[0])
    _sign_in(browser, author)
    browser.get_log("browser")  # start from an empty console
    browser.get(browser.live_server_url + "/broadcasts/emergency/new/")
    assert browser.find_element(By.ID, "emergency-reach").text  # its reach, rendered by the server
    browser.find_element(By.LINK_TEXT, "断水").click()
    _wait(browser, lambda d: "給水所" in d.find_element(By.ID, "bubble-0-text").get_attribute("value"))
    _wait(browser, lambda d: "給水所" in d.find_element(By.ID, "line-preview-messages").text)
    assert _script_errors(browser) == []  # compose.js used to fail here (no estimate on this page)

    browser.get(browser.live_server_url + "/broadcasts/new/")
    field = browser.find_element(By.ID, "schedule-field")
    outcome = browser.find_element(By.ID, "timing-outcome")
    assert not field.is_displayed() and "すぐに配信が始まります" in outcome.text
    browser.find_element(By.CSS_SELECTOR, "label[for=timing-scheduled]").click()
    _wait(browser, lambda d: field.is_displayed())
    assert "予約日時に配信されます" in outcome.text
    assert browser.find_element(By.ID, "id_scheduled_at").get_attribute("required")
    browser.find_element(By.CSS_SELECTOR, "label[for=timing-now]").click()
    _wait(browser, lambda d: not field.is_displayed())
    assert _script_errors(browser) == []


@pytest.mark.django_db(transaction=True)
def test_progress_updates_in_place_from_preparing_to_delivered(
    browser, line_emulator, segment_world, make_residents, make_broadcast, author, approver, monkeypatch
):
    from selenium.webdriver.common.by import By

    from broadcasts import fanout, services

    make_residents(1100, area=segment_world.areas[0])
    monkeypatch.setattr(services, "_enqueue_start", lambda broadcast: None)  # the worker is late
    b = make_broadcast(areas=[segment_world.areas[0]], to="approved", approver=approver)
    _sign_in(browser, author)
    browser.get(browser.live_server_url + f"/broadcasts/{b.pk}/")
    headline = browser.find_element(By.ID, "p-headline")
    assert headline.text.startswith("配信準備中")  # from the first second, in residents' terms
    browser.execute_script("window.__notReloaded = true;")
    monkeypatch.undo()
    fanout.broadcast_start(broadcast_id=b.pk)  # the worker takes it: snapshot, then every batch (eager)
    _wait(browser, lambda d: d.find_element(By.ID, "p-headline").text.startswith("配信完了"), timeout=20)
    assert browser.execute_script("return window.__notReloaded === true;")  # updated in place
    assert browser.find_element(By.ID, "status-badge").text == "配信完了"
    assert browser.find_element(By.ID, "p-bar").get_attribute("value") == "100"
    assert browser.find_element(By.ID, "p-reached").text.startswith("約")
    assert browser.find_element(By.ID, "p-finished").text != "—"
    assert _script_errors(browser) == []
