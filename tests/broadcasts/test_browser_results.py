"""The results dashboard in headless Chromium: charts drawn from the page's data (Chart.js
served by the portal), each with its table, rounded figures only; axe clean at 1366×768 and
390×844 (no serious/critical violation, no duplicate ids, no horizontal overflow)."""

import pytest

from accounts import roles
from tests.fixtures.browser import VIEWPORTS, assert_accessible, browser_force_login, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_results_dashboard(browser, axe_source, make_staff):
    from selenium.webdriver.common.by import By

    from broadcasts.models import Broadcast, BroadcastResult
    from broadcasts.results_demo import load_results_demo

    author = make_staff(roles.PR_AUTHOR, email="pr@city.example.jp")
    load_results_demo(lambda _text: None)
    small = BroadcastResult.objects.filter(broadcast__recipients_total__lt=100).get().broadcast
    big = Broadcast.objects.order_by("finished_at").first()
    browser_force_login(browser, author)
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        browser.get(browser.live_server_url + "/broadcasts/results/")
        assert browser.find_element(By.TAG_NAME, "h1").text == "配信結果"
        # Chart.js drew both charts from the json_script data (no inline script, CSP holds)
        drawn = browser.execute_script(
            "return ['chart-months', 'chart-friends'].map(id => !!(window.Chart && Chart.getChart(id)))"
        )
        assert drawn == [True, True], name
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
        assert not errors, errors
        months = browser.find_element(By.ID, "table-months").text
        assert "%" in months and "約" in months
        assert browser.find_element(By.ID, "table-friends").text
        assert_accessible(browser, axe_source, f"results dashboard {name}")
        browser.get(browser.live_server_url + f"/broadcasts/{big.pk}/")
        assert browser.find_element(By.ID, "r-open-rate").text.endswith("%")
        assert_accessible(browser, axe_source, f"results of a broadcast {name}")
        browser.get(browser.live_server_url + f"/broadcasts/{small.pk}/")
        assert browser.find_element(By.ID, "r-opened").text == "50人未満"
        assert browser.find_element(By.ID, "r-open-rate").text == "—"
