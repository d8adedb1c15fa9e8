"""The triage flow in a real headless browser: queue → report → change status with a message."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from intake.roads import services
from intake.roads.demo_data import seed_reference_data
from intake.roads.models import Category, ReportPhoto
from portal.line.models import OutboundMessage, Resident
from tests.fixtures.roads import jpeg_bytes

LOADED = "return arguments[0].complete && arguments[0].naturalWidth > 0"


@pytest.mark.browser
def test_triage_flow_in_browser(browser, live_server, transactional_db, make_staff, line_emulator):
    seed_reference_data()
    staff = make_staff("road")
    resident = Resident.objects.create(line_user_id="U" + "d" * 32)
    report = services.report_create(
        category=Category.objects.get(code="pothole"), resident=resident, latitude=33.59, longitude=130.40, location_source="line"
    )
    photo = ReportPhoto.objects.create(report=report)
    services._store(photo, jpeg_bytes(), folder="photos")
    photo.save()

    from django.test import Client

    client = Client()
    client.force_login(staff)
    browser.get(live_server.url + "/healthz")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})

    browser.get(live_server.url + "/roads/")
    assert "道路通報" in browser.title
    browser.find_element(By.LINK_TEXT, report.reference).click()
    assert report.reference in browser.find_element(By.TAG_NAME, "h1").text
    # The photo (EXIF-free copy) loaded through the permission-checked view.
    image = browser.find_element(By.CSS_SELECTOR, ".road-photos img")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(LOADED, image))
    # The full-size viewer opens in a dialog and closes again.
    image.click()
    viewer = browser.find_element(By.ID, "photo-viewer")
    assert viewer.get_attribute("open") is not None
    full = browser.find_element(By.ID, "photo-viewer-img")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(LOADED, full))
    viewer.find_element(By.TAG_NAME, "button").click()
    assert viewer.get_attribute("open") is None
    # The map initialised (Leaflet, no tiles configured).
    assert browser.find_elements(By.CSS_SELECTOR, "#report-map.leaflet-container")

    Select(browser.find_element(By.ID, "status-status")).select_by_value("checking")
    Select(browser.find_element(By.ID, "status-template")).select_by_visible_text("確認を開始")
    message = browser.find_element(By.ID, "status-message")
    assert "担当者が現地の状況を確認します" in message.get_attribute("value")  # filled from the template
    browser.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()

    # The page is replaced after the POST: an element of the old page may go stale mid-wait.
    # Chromium may also answer "Node with given id does not belong to the document" then.
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException, WebDriverException)).until(
        lambda d: d.find_element(By.ID, "report-status").text == "確認中"
    )
    report.refresh_from_db()
    assert report.status == "checking"
    assert OutboundMessage.objects.filter(resident=resident, purpose="road-report").count() == 1
    assert any("担当者が現地の状況を確認します" in t for t in line_emulator.received_texts(resident.line_user_id))
