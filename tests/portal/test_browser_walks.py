"""The core staff flows walked in headless Chromium at a laptop's 1366×768 and a phone's
390×844, with axe-core clean at every step (issue 12):

- a broadcast: the PR author composes 「承認後すぐに配信」 and asks for approval, the approver
  approves, and residents have it with no further action (the LINE emulator's record);
- a road report: a resident reports damage through the chat (signed webhook events), road
  staff take it from the queue to 完了, and the resident is told at each step.
"""

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts import roles
from tests.fixtures.browser import VIEWPORTS, browser_click, browser_sign_in, browser_sign_out, set_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait(browser, predicate, timeout: float = 15):
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(lambda d: predicate(d))


def _h1(browser) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def _nav(browser, label: str) -> None:
    """Follow a main-menu entry (on a phone too: the menu is never hidden behind a script)."""
    browser_click(browser, browser.find_element(By.CSS_SELECTOR, "nav.site-nav").find_element(By.LINK_TEXT, label))


def _shown(elements):
    """The one of ``elements`` on screen (a page may hold a table and cards, one hidden)."""
    shown = [e for e in elements if e.is_displayed()]
    assert shown, f"none of {len(elements)} matching elements is displayed"
    return shown[0]


def _press(browser, element) -> None:
    """Press a button that submits a form and loads the next page (scrolled into view first,
    as a finger on a phone would)."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    browser_click(browser, element)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_broadcast_compose_approve_delivered(
    browser, axe, viewport, line_emulator, segment_world, make_residents, make_staff, settings
):
    set_viewport(browser, *VIEWPORTS[viewport])
    target, other = segment_world.areas[0], segment_world.areas[1]
    recipients = make_residents(60, area=target)
    bystanders = make_residents(55, area=other)
    author = make_staff(roles.PR_AUTHOR, full_name="広報 花子")
    approver = make_staff(roles.PR_APPROVER, full_name="承認 太郎")
    title = f"防災訓練のお知らせ（{viewport}）"
    text = "12月7日に防災訓練を行います。"

    # The author composes and asks for approval, choosing 承認後すぐに配信.
    browser_sign_in(browser, author.email, "pass-word-123")
    axe("ダッシュボード（広報担当）")
    _nav(browser, "配信")
    axe("配信一覧")
    browser_click(browser, browser.find_element(By.CSS_SELECTOR, "a[href='/broadcasts/new/']"))
    assert _h1(browser) == "メッセージを作成"
    browser.find_element(By.ID, "id_title").send_keys(title)
    browser.find_element(By.CSS_SELECTOR, "label[for=aud-seg]").click()
    browser.find_element(By.CSS_SELECTOR, f"label[for=area-{target.pk}]").click()
    browser.find_element(By.CSS_SELECTOR, "label[for=timing-now]").click()
    assert browser.find_element(By.ID, "timing-now").is_selected()
    browser.find_element(By.ID, "bubble-0-text").send_keys(text)
    _wait(browser, lambda d: d.find_element(By.ID, "reach-value").text.startswith("約"))
    _wait(browser, lambda d: text in d.find_element(By.ID, "line-preview-messages").text)
    axe("配信の作成（人数と プレビューを表示）")
    _press(browser, browser.find_element(By.ID, "submit-for-approval"))
    _wait(browser, lambda d: "承認待ち" in d.page_source and title in _h1(d))
    axe("承認待ち（起案者）")
    browser_sign_out(browser)
    assert line_emulator.counts() == {}  # nothing goes out before approval

    # The approver finds it among the approvals, reviews it, approves: nothing more to do.
    browser_sign_in(browser, approver.email, "pass-word-123")
    _nav(browser, "承認待ち")
    axe("承認待ち一覧")
    browser_click(browser, browser.find_element(By.PARTIAL_LINK_TEXT, title))
    review = browser.find_element(By.TAG_NAME, "main").text
    assert text in review  # the approver sees every bubble, the targeting and the schedule
    assert target.name in review and "承認後すぐに配信" in review
    axe("承認の確認")
    _press(browser, browser.find_element(By.ID, "approve"))
    axe("承認後")
    assert _broadcast(title).status != "approved", "approval left the broadcast at 承認済: it did not start the send"
    broadcast_url = f"{browser.live_server_url}/broadcasts/{_broadcast(title).pk}/"
    browser.get(broadcast_url)
    _wait(browser, lambda d: "配信完了" in d.find_element(By.ID, "progress").text, timeout=30)
    axe("配信状況（配信完了）")
    browser_sign_out(browser)

    # Residents in the segment have it once; nobody else has anything.
    counts = line_emulator.counts()
    assert all(counts.get(uid) == 1 for uid in recipients), "every recipient gets the message exactly once"
    assert not any(uid in counts for uid in bystanders)
    assert line_emulator.received_texts(recipients[0]) == [text]

    # The author sees it delivered without having pressed anything after asking for approval.
    browser_sign_in(browser, author.email, "pass-word-123")
    browser.get(broadcast_url)
    assert "配信完了" in browser.find_element(By.ID, "progress").text
    axe("配信状況（起案者）")


def _broadcast(title: str):
    from broadcasts.models import Broadcast

    return Broadcast.objects.get(title=title)


class ChatResident:
    """A resident in the LINE app: types text and taps the quick-reply buttons of the bot's
    last message, which the portal receives as signed webhook events."""

    def __init__(self, line_resident, line_emulator, user_id: str) -> None:
        self.line, self.emulator, self.user_id = line_resident, line_emulator, user_id

    def last_text(self) -> str:
        return self.emulator.received_texts(self.user_id)[-1]

    def say(self, text: str) -> None:
        assert self.line.text(self.user_id, text).status_code == 200

    def tap(self, label: str, **location) -> None:
        with_buttons = [m for m in self.emulator.received(self.user_id) if m.get("quickReply")]
        assert with_buttons, f"no buttons to tap; the bot said: {self.emulator.received_texts(self.user_id)[-3:]}"
        actions = [item["action"] for item in with_buttons[-1]["quickReply"]["items"]]
        action = next((a for a in actions if a.get("label") == label), None)
        assert action, f"no button 「{label}」 among {[a.get('label') for a in actions]}"
        if action["type"] == "postback":
            response = self.line.postback(self.user_id, action["data"])
        elif action["type"] == "message":
            response = self.line.text(self.user_id, action["text"])
        elif action["type"] == "location":
            response = self.line.location(self.user_id, **location)
        else:
            raise AssertionError(f"cannot tap a {action['type']} button here")
        assert response.status_code == 200

    def send_photo(self) -> None:
        assert self.line.image(self.user_id).status_code == 200


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_road_report_from_the_chat_to_done(browser, axe, viewport, line_resident, line_emulator, road_setup, make_staff):
    from intake.roads.models import RoadReport
    from portal.line.devtools.simulate import user_id_for

    set_viewport(browser, *VIEWPORTS[viewport])
    staff = make_staff(roles.ROAD, full_name="道路 太郎")

    # The resident reports a pothole from the chat: category, danger, a photo, the place.
    resident = ChatResident(line_resident, line_emulator, user_id_for(f"walk-road-{viewport}"))
    line_resident.follow(resident.user_id)
    resident.say("通報")
    resident.tap("道路の穴・陥没")
    resident.tap("いいえ")
    resident.send_photo()
    resident.tap("次へ")
    resident.tap("位置情報を送る", lat=33.5902, lng=130.4017, address="福岡市中央区天神1丁目")
    resident.say("歩道の手前に大きな穴があります")
    resident.tap("送信する")
    report = RoadReport.objects.get()
    assert report.reference in resident.last_text()

    # Road staff find it in the queue and take it to 完了, telling the resident each time.
    browser_sign_in(browser, staff.email, "pass-word-123")
    axe("ダッシュボード（道路維持担当）")
    _nav(browser, "道路通報")
    axe("道路通報の一覧")
    browser_click(browser, _shown(browser.find_elements(By.LINK_TEXT, report.reference)))
    assert report.reference in _h1(browser)
    assert "歩道の手前に大きな穴があります" in browser.page_source
    axe("通報の詳細（受付）")
    for status, label, message in [
        ("in_progress", "対応中", "本日、補修に向かいます。"),
        ("done", "完了", "補修が完了しました。ご連絡ありがとうございました。"),
    ]:
        Select(browser.find_element(By.CSS_SELECTOR, "#status-form select[name=status]")).select_by_value(status)
        box = browser.find_element(By.CSS_SELECTOR, "#status-form textarea[name=message]")
        box.clear()
        box.send_keys(message)
        _press(browser, browser.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]"))
        _wait(browser, lambda d, label=label: d.find_element(By.ID, "report-status").text == label)
        axe(f"通報の詳細（{label}）")
        assert any(message in t for t in line_emulator.received_texts(resident.user_id))
    report.refresh_from_db()
    assert report.status == "done"

    # The resident asks how it went: the chat says it is done.
    resident.say("通報状況")
    assert "対応が完了しました" in resident.last_text()

    # Back in the queue, the report shows as done.
    _nav(browser, "道路通報")
    # A table row on a laptop, maybe a card on a phone: whatever holds the report's link.
    link = _shown(browser.find_elements(By.LINK_TEXT, report.reference))
    holder = link.find_element(By.XPATH, "./ancestor::*[self::tr or self::li or self::article][1]")
    assert "完了" in holder.text
    axe("道路通報の一覧（完了後）")
