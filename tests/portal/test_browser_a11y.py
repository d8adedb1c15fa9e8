"""Every main page, as each kind of staff member (and a resident on a phone) sees it, checked
in headless Chromium with axe-core at 1366×768 and 390×844: no serious or critical axe
violation, no id used twice, nothing wider than the screen (tests/fixtures/browser.py)."""

import base64
import os
import re

import pytest

from accounts import roles
from portal.line.models import Dimension, DimensionOption
from tests.fixtures.browser import VIEWPORTS, axe_findings, browser_force_login, browser_submit, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")  # a folder: save each checked page there


def _shoot(browser, name: str) -> None:
    """The whole page (beyond the viewport) as a PNG in $PORTAL_SCREENSHOTS."""
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    with open(os.path.join(SCREENSHOTS, f"a11y-{slug}.png"), "wb") as out:
        out.write(base64.b64decode(shot["data"]))


def _findings(browser, axe_source) -> list[str]:
    """What ``assert_accessible`` would fail on (axe, duplicate ids, reflow); a screenshot too
    when $PORTAL_SCREENSHOTS names a folder."""
    found = axe_findings(browser, axe_source)
    if SCREENSHOTS:
        width = browser.execute_script("return document.documentElement.clientWidth")
        _shoot(browser, f"{browser.current_url.split('/', 3)[-1]}-{width}")
    return found


def _check(browser, axe_source, pages: list[tuple[str, str]]) -> None:
    """Open each (label, path) at both sizes; fail once, listing every finding of every page."""
    problems: list[str] = []
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        for label, path in pages:
            browser.get(browser.live_server_url + path)
            where = f"{label} [{path} @ {name} {width}×{height}]"
            assert "/accounts/login/" not in browser.current_url or path.startswith("/accounts/"), f"{where}: sent to sign-in"
            heading = browser.find_elements("tag name", "h1")
            assert heading and heading[0].text.strip(), f"{where}: no page heading"
            assert "権限がありません" not in heading[0].text, f"{where}: {heading[0].text}"
            found = _findings(browser, axe_source)
            problems += [f"{where}: {line}" for line in found]
    assert not problems, "accessibility problems:\n  " + "\n  ".join(problems)


def test_the_checker_reports_what_it_finds(browser, axe_source):
    """The check itself can fail: on a portal page spoilt on purpose it names each rule, its
    impact and the elements (and ids used twice); on the unspoilt page it finds nothing."""
    browser.get(browser.live_server_url + "/accounts/login/")
    assert axe_findings(browser, axe_source) == []
    browser.execute_script(
        """
        const main = document.getElementById('main');
        main.insertAdjacentHTML('beforeend',
          '<p id="pale">薄い文字</p><p id="pale">二つ目</p>' +
          '<button class="icon-only" type="button"></button>' +
          '<img src="/static/vendor/leaflet/images/marker-icon.png">');
        const pale = document.getElementById('pale');  // CSSOM: the page's CSP forbids style=""
        pale.style.color = '#ccc';
        pale.style.background = '#fff';
        """
    )
    findings = axe_findings(browser, axe_source)
    text = "\n".join(findings)
    assert any(f.startswith("color-contrast [serious]") and "#cccccc" in f for f in findings), text
    assert any(f.startswith("button-name [critical]") and ".icon-only" in f for f in findings), text
    assert any(f.startswith("image-alt [critical]") for f in findings), text
    assert "duplicate-id [serious] id used more than once: pale ×2" in findings, text
    # Content wider than a phone's screen is reported too.
    set_viewport(browser, *VIEWPORTS["phone"])
    browser.get(browser.live_server_url + "/accounts/login/")
    assert _findings(browser, axe_source) == []
    browser.execute_script("document.querySelector('main h1').style.width = '900px'")
    (finding,) = _findings(browser, axe_source)
    assert finding.startswith("reflow [serious] the page is 9") and finding.endswith("px wide in a 390px window (WCAG 1.4.10)")


def test_sign_in_pages(browser, axe_source, make_staff):
    from selenium.webdriver.common.by import By

    _check(browser, axe_source, [("サインイン", "/accounts/login/"), ("パスワード再設定", "/accounts/password/reset/")])
    # A wrong password shows the error on the form: still accessible.
    make_staff(roles.ROAD, email="road-a11y@city.example.jp")
    browser.get(browser.live_server_url + "/accounts/login/")
    browser.find_element(By.ID, "id_login").send_keys("road-a11y@city.example.jp")
    browser.find_element(By.ID, "id_password").send_keys("wrong-password")
    browser_submit(browser)
    assert "/accounts/login/" in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, ".errorlist, .alert-error")
    assert not axe_findings(browser, axe_source)
    # The admin's TOTP step.
    admin = make_staff(roles.ADMIN, email="admin-a11y@city.example.jp")
    browser.get(browser.live_server_url + "/accounts/login/")
    browser.find_element(By.ID, "id_login").send_keys(admin.email)
    browser.find_element(By.ID, "id_password").send_keys("pass-word-123")
    browser_submit(browser)
    assert "/accounts/2fa/authenticate/" in browser.current_url
    _check(browser, axe_source, [("確認コード", "/accounts/2fa/authenticate/")])


@pytest.mark.parametrize("role", roles.ROLE_ORDER)
def test_dashboard_of_each_role(browser, axe_source, make_staff, role):
    browser_force_login(browser, make_staff(role))
    _check(browser, axe_source, [(f"ダッシュボード ({role})", "/")])


def test_broadcast_pages(browser, axe_source, line_emulator, segment_world, make_residents, make_broadcast, author, approver):
    area = segment_world.areas[0]
    make_residents(60, area=area)
    make_residents(10, area=segment_world.areas[1])
    gender = Dimension.objects.create(name="性別", kind=Dimension.Kind.SINGLE, order=40)  # compose offers it
    for i, label in enumerate(["女性", "男性", "回答しない"]):
        DimensionOption.objects.create(dimension=gender, label=label, order=i)
    draft = make_broadcast(areas=[area])
    pending = make_broadcast(areas=[area], to="pending", text="承認をお願いします")
    sent = make_broadcast(areas=[area], to="approved", approver=approver, text="配信済みのお知らせ")  # approval sends it
    sent.refresh_from_db()
    assert sent.status == "done", sent.status  # eager tasks against the emulator

    browser_force_login(browser, author)
    _check(
        browser,
        axe_source,
        [
            ("配信一覧", "/broadcasts/"),
            ("配信を作成", "/broadcasts/new/"),
            ("緊急配信を作成", "/broadcasts/emergency/new/"),
            ("下書き", f"/broadcasts/{draft.pk}/"),
            ("下書きを編集", f"/broadcasts/{draft.pk}/edit/"),
            ("承認待ち", f"/broadcasts/{pending.pk}/"),
            ("配信状況（配信完了）", f"/broadcasts/{sent.pk}/"),
            ("配信結果", "/broadcasts/results/"),
            ("テスト配信用LINEの連携", "/broadcasts/test-account/"),
            ("配信対象者", "/line/audience/"),
        ],
    )
    browser_force_login(browser, approver)
    _check(
        browser,
        axe_source,
        [("承認待ち一覧", "/broadcasts/approvals/"), ("承認の確認", f"/broadcasts/{pending.pk}/review/")],
    )


def test_recurring_pages(browser, axe_source, line_emulator, segment_world, make_residents, author, approver):
    import datetime as dt

    from broadcasts.recurring import selectors, services

    east, hakata, _other = segment_world.areas
    make_residents(60, area=east)
    plans = [
        services.AreaPlan(area_id=east.pk, weekdays=(0, 3), text="東区: 明日は燃えるごみの日です。"),
        services.AreaPlan(area_id=hakata.pk, weekdays=(1, 4), text="博多区: 明日は燃えるごみの日です。"),
    ]
    series = services.series_save(
        actor=author, title="燃えるごみ", frequency="weekly", start_date=dt.date.today(), send_time=dt.time(7), schedules=plans
    )
    services.series_submit(series=series, actor=author)
    services.series_approve(series=series, approver=approver, version=selectors.series_version(series))
    browser_force_login(browser, author)
    _check(
        browser,
        axe_source,
        [
            ("定期配信", "/broadcasts/recurring/"),
            ("定期配信を作成", "/broadcasts/recurring/new/"),
            ("定期配信（有効）", f"/broadcasts/recurring/{series.pk}/"),
            ("定期配信の編集", f"/broadcasts/recurring/{series.pk}/edit/"),
            ("配信カレンダー", "/broadcasts/recurring/calendar/"),
        ],
    )


def test_road_pages(browser, axe_source, make_report, road_staff):
    from portal.line.models import Resident

    resident = Resident.objects.create(line_user_id="U" + "a" * 32)
    report = make_report(resident=resident, comment="歩道の段差が大きくなっています")
    make_report("streetlight", lat=None, lng=None)
    browser_force_login(browser, road_staff)
    _check(
        browser,
        axe_source,
        [("道路通報の一覧", "/roads/"), ("通報の詳細", f"/roads/{report.pk}/"), ("統計", "/roads/stats/")],
    )


def test_bulky_staff_pages(browser, axe_source, bulky_setup, make_staff, line_emulator):
    from intake.bulky import services
    from portal.line.models import Resident
    from tests.fixtures.bulky import bookable_date

    booking = services.booking_create(
        resident=Resident.objects.create(line_user_id="U" + "b" * 32),
        area=bulky_setup.chuo,
        collection_date=bookable_date(7),
        quantities={bulky_setup.chair.pk: 2},
        address="福岡市中央区天神1-8-1",
        phone="092-711-4111",
    )
    browser_force_login(browser, make_staff(roles.WASTE))
    _check(
        browser,
        axe_source,
        [
            ("粗大ごみ申込一覧", "/bulky/"),
            ("申込の確認", f"/bulky/bookings/{booking.pk}/"),
            ("収集カレンダー", "/bulky/calendar/"),
            ("収集ルート", "/bulky/routes/"),
        ],
    )


def test_questions_pages(browser, axe_source, make_staff, line_emulator):
    from intake.questions.demo import load_demo
    from intake.questions.models import FaqBase, FaqEntry

    load_demo(lambda _text: None)
    entry = FaqEntry.objects.get(key="FAQ-0001")
    browser_force_login(browser, make_staff(roles.PR_AUTHOR))
    _check(
        browser,
        axe_source,
        [
            ("よくある質問", "/questions/"),
            ("項目", f"/questions/{entry.pk}/"),
            ("項目の編集", f"/questions/{entry.pk}/edit/"),
            ("項目を追加", "/questions/new/"),
            ("公開", f"/questions/base/{FaqBase.load().pk}/"),
            ("試してみる", "/questions/try/"),
            ("CSV取り込み", "/questions/import/"),
        ],
    )
    browser_force_login(browser, make_staff(roles.WASTE))
    _check(browser, axe_source, [("ごみ分別辞書", "/questions/gomi/"), ("ごみ分別辞書のCSV取り込み", "/questions/gomi/import/")])


def test_inbox_pages(browser, axe_source, make_staff, line_resident, line_emulator):
    from intake.inbox.models import Inquiry
    from portal.line.devtools.simulate import user_id_for

    user = user_id_for("a11y-inbox")
    line_resident.follow(user)
    line_resident.text(user, "キャンセル")
    line_resident.text(user, "市民会館の駐車場は何台とめられますか")
    inquiry = Inquiry.objects.get(resident__line_user_id=user)
    browser_force_login(browser, make_staff(roles.PR_AUTHOR))
    _check(browser, axe_source, [("問い合わせ", "/inbox/"), ("問い合わせ", f"/inbox/{inquiry.pk}/")])


def test_bulky_resident_booking_pages(browser, axe_source, bulky_setup, line_resident, line_emulator, settings):
    """The resident's pages, each step checked: the link's page, the form, the form with
    every problem listed, 確認, 完了, the resident's bookings."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.fixtures.browser import browser_click

    settings.PORTAL_BASE_URL = browser.live_server_url
    user_id = "U" + "c" * 32
    line_resident.follow(user_id)
    line_resident.text(user_id, "粗大ごみ")
    link = re.search(r"https?://\S+/bulky/r/link/\S+/", line_emulator.received_texts(user_id)[-1]).group(0)
    problems: list[str] = []

    def check(step: str) -> None:
        problems.extend(f"{step} @ {name}: {line}" for line in _findings(browser, axe_source))

    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        if name == "laptop":
            browser.get(link)
            check("申込リンク")
            browser_click(browser, browser.find_element(By.ID, "open-booking"))
        else:
            browser.get(browser.live_server_url + "/bulky/r/")
        assert browser.find_elements(By.ID, "booking-form"), browser.page_source[:500]
        check("申込フォーム")
        browser_click(browser, browser.find_element(By.ID, "submit-booking"))  # nothing filled in
        assert len(browser.find_elements(By.CSS_SELECTOR, "#error-summary li")) >= 3  # every problem at once
        check("申込フォーム（入力エラー）")
        qty = browser.find_element(By.ID, f"qty_{bulky_setup.chair.pk}")
        qty.clear()
        qty.send_keys("1")
        Select(browser.find_element(By.ID, "area")).select_by_visible_text("中央区")
        option = browser.find_element(
            By.CSS_SELECTOR, f"#collection_date option[data-area='{bulky_setup.chuo.pk}']:not([disabled])[value]"
        )
        option.click()
        for field, value in (("address", "福岡市中央区天神1-8-1"), ("phone", "092-711-4111")):
            box = browser.find_element(By.ID, field)
            if box.is_displayed():
                box.clear()
                box.send_keys(value)
        for choice in browser.find_elements(By.CSS_SELECTOR, "input[value=previous][name$=_choice]"):
            choice.click()  # the second time: use the (masked) previous address and phone
        browser_click(browser, browser.find_element(By.ID, "submit-booking"))
        assert browser.find_elements(By.ID, "confirm-form"), browser.find_element(By.TAG_NAME, "main").text[:500]
        check("申込内容の確認")
        browser_click(browser, browser.find_element(By.ID, "submit-booking"))
        assert browser.find_element(By.ID, "booking-number").text
        check("申込の完了")
        browser.get(browser.live_server_url + "/bulky/r/bookings/")
        check("申込の一覧")
    assert not problems, "accessibility problems:\n  " + "\n  ".join(problems)


def test_admin_pages(browser, axe_source, make_staff):
    member = make_staff(roles.ROAD, roles.AUDITOR, full_name="道路 一郎")
    admin = make_staff(roles.ADMIN, full_name="管理 花子")
    children = Dimension.objects.create(name="子どもの年代", kind=Dimension.Kind.MULTIPLE, order=50)
    for i, label in enumerate(["妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生"]):
        DimensionOption.objects.create(dimension=children, label=label, order=i)
    browser_force_login(browser, admin)
    _check(
        browser,
        axe_source,
        [
            ("職員管理", "/staff/"),
            ("職員の編集", f"/staff/{member.pk}/"),
            ("職員を招待", "/staff/invite/"),
            ("ロール設定", "/staff/roles/"),
            ("監査ログ", "/staff/audit/"),
            ("LINE設定", "/line/settings/"),
            ("受信設定の属性", "/line/settings/dimensions/"),
            ("属性を編集", f"/line/settings/dimensions/{children.pk}/"),
            ("属性を追加", "/line/settings/dimensions/new/"),
            ("住民の照会", "/line/residents/lookup/"),
            ("多要素認証", "/accounts/2fa/"),
            ("道路通報の設定", "/roads/settings/"),
            ("道路通報の種別", "/roads/settings/categories/"),
            ("Open311 APIキー", "/roads/settings/api-keys/"),
            ("粗大ごみ設定", "/bulky/setup/"),
            ("粗大ごみ品目", "/bulky/setup/items/"),
            ("粗大ごみ収集地域", "/bulky/setup/areas/"),
            ("粗大ごみ休止日", "/bulky/setup/closures/"),
        ],
    )
    # A member without an authenticator sets one up (QR code and the secret as text).
    browser_force_login(browser, make_staff(roles.ROAD))
    _check(browser, axe_source, [("認証アプリの設定", "/accounts/2fa/totp/activate/")])
    browser_force_login(browser, make_staff(roles.AUDITOR))
    _check(browser, axe_source, [("監査ログ（監査担当）", "/staff/audit/")])


def test_shell_error_pages_english_and_keyboard(browser, axe_source, make_staff):
    """The shared shell: 403 and 404 pages, the English version (chosen in the header, the
    page's lang follows), and the skip link, which a keyboard user reaches first."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from tests.fixtures.browser import browser_click

    browser_force_login(browser, make_staff(roles.ROAD))
    problems: list[str] = []
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        for path, heading in (("/staff/", "このページを開く権限がありません"), ("/no-such-page/", "ページが見つかりません")):
            browser.get(browser.live_server_url + path)
            assert browser.find_element(By.TAG_NAME, "h1").text == heading
            problems += [f"{path} @ {name}: {line}" for line in _findings(browser, axe_source)]

    # Keyboard: the first Tab reaches the skip link; Enter moves focus to the main content.
    browser.get(browser.live_server_url + "/")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link" and focused.is_displayed()
    focused.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"

    # English, chosen with the header's language switch.
    Select(browser.find_element(By.ID, "language-select")).select_by_value("en")
    browser_click(browser, browser.find_element(By.CSS_SELECTOR, ".site-user form[action$='/i18n/setlang/'] button"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    for name, (width, height) in VIEWPORTS.items():
        set_viewport(browser, width, height)
        for path in ("/", "/roads/"):
            browser.get(browser.live_server_url + path)
            problems += [f"{path} (English) @ {name}: {line}" for line in _findings(browser, axe_source)]
    assert not problems, "accessibility problems:\n  " + "\n  ".join(problems)


def test_richmenu_pages(browser, axe_source, line_emulator, author, approver, segment_world):
    from broadcasts.richmenus import services
    from portal.context import AuditContext
    from tests.richmenus.conftest import png, two_areas

    def make(name: str):
        return services.richmenu_create(ctx=AuditContext.system(author), name=name, chat_bar_text="メニュー", image=png(),
                                        areas=two_areas())  # fmt: skip

    draft = make("下書きのメニュー")
    registered = services.richmenu_register(make("登録済のメニュー"), ctx=AuditContext.system(author))
    disaster = services.richmenu_register(make("災害時メニュー"), ctx=AuditContext.system(author))
    services.richmenu_mark_disaster(disaster, ctx=AuditContext.system(approver))
    browser_force_login(browser, author)
    _check(
        browser,
        axe_source,
        [
            ("リッチメニュー一覧", "/broadcasts/richmenus/"),
            ("メニューを作成", "/broadcasts/richmenus/new/"),
            ("下書きのメニュー", f"/broadcasts/richmenus/{draft.pk}/"),
            ("メニューを編集", f"/broadcasts/richmenus/{draft.pk}/edit/"),
        ],
    )
    browser_force_login(browser, approver)
    _check(
        browser,
        axe_source,
        [
            ("登録済のメニュー（セグメント）", f"/broadcasts/richmenus/{registered.pk}/"),
            ("災害時モード", "/broadcasts/richmenus/disaster/"),
        ],
    )
    services.disaster_mode_on(ctx=AuditContext.system(approver))
    _check(browser, axe_source, [("災害時モード中", "/broadcasts/richmenus/disaster/"), ("ダッシュボード（災害時モード）", "/")])
