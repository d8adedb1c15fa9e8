"""Building a rich menu in headless Chromium: upload the image, draw a tap area by dragging,
add one with the keyboard (numbers), choose their actions, save, register on LINE (the
emulator's record) — axe clean at 1366×768 and 390×844 on every step's page."""

from __future__ import annotations

import pytest

from broadcasts.richmenus.models import RichMenu
from tests.fixtures.browser import VIEWPORTS, assert_accessible, browser_click, browser_force_login, set_viewport
from tests.richmenus.conftest import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait(browser, predicate, timeout: float = 10):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(lambda d: predicate(d))


def _both_sizes(browser, axe_source, label: str) -> None:
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        assert_accessible(browser, axe_source, f"{label} @ {name}")
    set_viewport(browser, *VIEWPORTS["laptop"])


def test_building_a_rich_menu(browser, axe_source, line_emulator, author, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    image = tmp_path / "menu.png"
    image.write_bytes(png((2500, 843)))
    browser_force_login(browser, author)
    set_viewport(browser, 1366, 768)
    browser.get(browser.live_server_url + "/broadcasts/richmenus/new/")
    _both_sizes(browser, axe_source, "メニューを作成")
    set_viewport(browser, 1366, 768)

    browser.find_element(By.ID, "id_name").send_keys("ブラウザで作ったメニュー")
    browser.find_element(By.ID, "id_chat_bar_text").send_keys("メニュー")
    browser.find_element(By.ID, "id_image").send_keys(str(image))
    canvas = browser.find_element(By.ID, "richmenu-canvas")
    _wait(browser, lambda d: "2500" in d.find_element(By.ID, "size-note").text)
    _wait(browser, lambda d: canvas.find_element(By.TAG_NAME, "img").get_attribute("naturalWidth") == "2500")

    # Draw the left half by dragging on the image.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    box = canvas.rect
    ActionChains(browser).move_to_element_with_offset(
        canvas, -box["width"] // 2 + 2, -box["height"] // 2 + 2
    ).click_and_hold().move_by_offset(box["width"] // 2 - 10, box["height"] - 10).release().perform()
    _wait(browser, lambda d: d.find_elements(By.ID, "area-0-kind"))
    width = int(browser.find_element(By.ID, "area-0-width").get_attribute("value"))
    assert 1000 < width < 1300  # about half of 2,500 px, in the image's own pixels
    Select(browser.find_element(By.ID, "area-0-kind")).select_by_visible_text("手続きを始める")
    Select(browser.find_element(By.ID, "area-0-flow")).select_by_visible_text("道路の通報")
    browser.find_element(By.ID, "area-0-label").send_keys("道路の通報")

    # The keyboard way: add an area and type where it is.
    browser.find_element(By.ID, "add-area").click()
    for key, value in (("x", "1300"), ("y", "0"), ("width", "1200"), ("height", "843")):
        field = browser.find_element(By.ID, f"area-1-{key}")
        field.clear()
        field.send_keys(value)
    Select(browser.find_element(By.ID, "area-1-kind")).select_by_visible_text("ウェブページを開く")
    browser.find_element(By.ID, "area-1-uri").send_keys("https://www.city.example.jp/")
    _both_sizes(browser, axe_source, "メニューを作成（領域あり）")
    set_viewport(browser, 1366, 768)

    browser_click(browser, browser.find_element(By.ID, "save-menu"))
    assert "下書きを保存しました" in browser.page_source, browser.find_element(By.TAG_NAME, "main").text
    menu = RichMenu.objects.get(name="ブラウザで作ったメニュー")
    assert [a["kind"] for a in menu.areas] == ["flow", "uri"]
    assert menu.areas[0]["flow"] == "road" and menu.areas[1]["x"] == 1300
    _both_sizes(browser, axe_source, "下書きのメニュー")
    set_viewport(browser, 1366, 768)

    browser_click(browser, browser.find_element(By.ID, "action-register"))
    assert "LINEに登録しました" in browser.page_source
    menu.refresh_from_db()
    assert menu.status == RichMenu.Status.REGISTERED
    sent = line_emulator.richmenus.menus[menu.line_id]
    assert sent["areas"][0]["action"]["data"] == "flow=road&action=start"
    assert sent["areas"][1]["action"] == {"type": "uri", "uri": "https://www.city.example.jp/"}
    assert menu.line_id in line_emulator.richmenus.images
    browser.get(browser.live_server_url + "/broadcasts/richmenus/")
    _both_sizes(browser, axe_source, "リッチメニュー一覧")
