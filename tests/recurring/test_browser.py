"""Creating a recurring series in headless Chromium, on a laptop and on a phone: the rule
builder (weekly, each area its own weekdays and message), the preview of the next dates
with the skipped ones and why, save, submit, and the approver's approval; axe-core finds
nothing serious at 1366×768 and 390×844 on every step (tests/fixtures/browser.py)."""

import pytest

from broadcasts.recurring import selectors
from broadcasts.recurring.models import Series
from tests.fixtures.browser import VIEWPORTS, _click_and_wait, browser_force_login, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_creating_a_recurring_series(browser, axe, segment_world, make_residents, author, approver, viewport, line_emulator):
    from selenium.webdriver.common.by import By

    set_viewport(browser, *VIEWPORTS[viewport])
    east, hakata, other = segment_world.areas
    make_residents(60, area=east)
    make_residents(60, area=hakata)
    browser_force_login(browser, author)
    browser.get(browser.live_server_url + "/broadcasts/recurring/")
    axe("一覧（空）")
    _click_and_wait(browser, browser.find_element(By.LINK_TEXT, "定期配信を作成"))
    axe("作成")
    browser.find_element(By.ID, "title").send_keys("燃えるごみの日のお知らせ")
    # Weekly is chosen by default: the 何日ごと field is hidden, each area shows its weekdays once chosen.
    assert not browser.find_element(By.ID, "interval").is_displayed()
    weekdays = browser.find_element(By.ID, f"area-{east.pk}-wd-0")
    assert not weekdays.is_displayed()
    for area, days, text in (
        (east, (0, 3), "東区: 明日は燃えるごみの日です"),
        (hakata, (1, 4), "博多区: 明日は燃えるごみの日です"),
    ):
        browser.find_element(By.CSS_SELECTOR, f"label[for=area-{area.pk}-on]").click()
        for day in days:
            browser.find_element(By.CSS_SELECTOR, f"label[for=area-{area.pk}-wd-{day}]").click()
        browser.find_element(By.ID, f"area-{area.pk}-text").send_keys(text)
    assert browser.find_element(By.ID, f"area-{east.pk}-wd-0").is_displayed()
    assert not browser.find_element(By.ID, f"area-{other.pk}-text").is_displayed()
    _click_and_wait(browser, browser.find_element(By.ID, "preview-button"))
    preview = browser.find_element(By.ID, "preview").text
    assert f"{east.name} — 毎週 月・木 7:00" in preview and f"{hakata.name} — 毎週 火・金 7:00" in preview
    first = browser.find_elements(By.CSS_SELECTOR, "#preview .upcoming")[0]
    dates = first.find_elements(By.CSS_SELECTOR, ".date-list li")
    sends = [d for d in dates if "送りません" not in d.text]
    assert len(sends) == 10 and all("(月)" in d.text or "(木)" in d.text for d in dates)
    assert Series.objects.count() == 0
    axe("プレビュー")
    _click_and_wait(browser, browser.find_element(By.ID, "save-button"))
    series = Series.objects.get()
    assert "下書き" in browser.find_element(By.TAG_NAME, "h1").text
    axe("下書き")
    _click_and_wait(browser, browser.find_element(By.ID, "submit"))
    assert "承認待ち" in browser.find_element(By.TAG_NAME, "h1").text

    browser_force_login(browser, approver)
    browser.get(browser.live_server_url + f"/broadcasts/recurring/{series.pk}/")
    axe("承認待ち（承認者）")
    _click_and_wait(browser, browser.find_element(By.ID, "approve"))
    assert "有効" in browser.find_element(By.TAG_NAME, "h1").text
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE and series.approver == approver
    axe("有効")
    first_send = selectors.next_send(series=series)
    browser.get(browser.live_server_url + f"/broadcasts/recurring/calendar/?month={first_send:%Y-%m}")
    axe("カレンダー")
    assert "燃えるごみの日のお知らせ" in browser.find_element(By.CSS_SELECTOR, "table.month-calendar").text
