"""National holidays and 年末年始 are closed by default (元日 always), configurable by the
waste desk (audited), shown on the capacity calendar, and never offered or bookable."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import jpholiday
import pytest
import time_machine

from accounts.models import AuditEntry
from intake.bulky.models import Booking, BulkySettings
from tests.fixtures.bulky import setup_form, uid

TOKYO = ZoneInfo("Asia/Tokyo")
DEC_1 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO)  # window 12/4 – 1/30
APR_20 = dt.datetime(2027, 4, 20, 10, 0, tzinfo=TOKYO)  # window 4/23 – 6/19 (昭和の日, GW)
YEAR_END = {dt.date(2026, 12, d) for d in (29, 30, 31)} | {dt.date(2027, 1, d) for d in (1, 2, 3)}


@pytest.fixture
def city_defaults(bulky_setup):
    """bulky_setup with the calendar closures as a new city gets them (the defaults)."""
    fields = ["close_national_holidays", "close_year_end", "year_end_from_day", "year_end_to_day"]
    defaults = {name: BulkySettings._meta.get_field(name).default for name in fields}
    BulkySettings.objects.filter(pk=1).update(**defaults)
    return bulky_setup


def _offered(html: str, area_pk: int) -> list[dt.date]:
    return [dt.date.fromisoformat(v) for v in re.findall(rf'<option value="([\d-]+)" data-area="{area_pk}"', html)]


@pytest.mark.django_db
def test_defaults_close_holidays_and_year_end():
    config = BulkySettings.load()
    assert config.close_national_holidays and config.close_year_end
    assert (config.year_end_from_day, config.year_end_to_day) == (29, 3)


@pytest.mark.parametrize("moment", [DEC_1, APR_20], ids=["year-end", "golden-week"])
def test_holidays_and_year_end_are_never_offered_on_the_booking_page(moment, city_defaults, open_booking_page, make_staff):
    from django.test import Client

    from accounts import roles

    with time_machine.travel(moment, tick=False):
        waste_client = Client()
        waste_client.force_login(make_staff(roles.WASTE))
        page = open_booking_page(uid(1))
        html = page.client.get("/bulky/r/").content.decode()
        api = waste_client.get("/bulky/api/availability/", {"area": city_defaults.chuo.pk}).json()
    offered = _offered(html, city_defaults.chuo.pk)
    assert offered, "the area collects every day: some dates must be offered"
    for date in offered + [dt.date.fromisoformat(row["date"]) for row in api]:
        assert not jpholiday.is_holiday(date), date
        assert date not in YEAR_END, date
    if moment is DEC_1:
        assert dt.date(2026, 12, 28) in offered and dt.date(2027, 1, 4) in offered
        assert dt.date(2027, 1, 11) not in offered  # 成人の日
    else:
        for holiday in (dt.date(2027, 4, 29), dt.date(2027, 5, 3), dt.date(2027, 5, 4), dt.date(2027, 5, 5)):
            assert holiday not in offered
        assert dt.date(2027, 4, 28) in offered


@pytest.mark.parametrize("date", [dt.date(2027, 1, 1), dt.date(2027, 1, 11), dt.date(2026, 12, 29)])
def test_a_closed_date_cannot_be_booked_or_rescheduled_to(date, city_defaults, open_booking_page, waste_client):
    with time_machine.travel(DEC_1, tick=False):
        page = open_booking_page(uid(2))
        form = page.form(area=city_defaults.chuo.pk, collection_date=date.isoformat(), items={city_defaults.chair: 1})
        response = page.client.post("/bulky/r/", {**form, "step": "submit"})
        assert response.status_code == 400
        assert "休止日" in response.content.decode()
        assert Booking.objects.count() == 0
        assert page.book({**form, "collection_date": "2026-12-28"}).status_code == 302
        booking = Booking.objects.get()
        response = waste_client.post(
            f"/bulky/api/bookings/{booking.pk}/reschedule/", {"new_date": date.isoformat()}, content_type="application/json"
        )
    assert response.status_code == 409 and "休止日" in response.json()["detail"]
    booking.refresh_from_db()
    assert booking.collection_date == dt.date(2026, 12, 28)


def test_the_waste_desk_configures_closures_audited_and_new_year_stays_closed(city_defaults, open_booking_page, waste_client):
    # close_national_holidays unticked: this city collects on holidays
    form = setup_form(year_end_from_day=28, year_end_to_day=5, close_year_end="on", payment_note="処理券を貼ってください。")
    with time_machine.travel(DEC_1, tick=False):
        response = waste_client.post("/bulky/setup/", form)
        assert response.status_code == 302
        html = open_booking_page(uid(3)).client.get("/bulky/r/").content.decode()
    offered = _offered(html, city_defaults.chuo.pk)
    assert dt.date(2027, 1, 11) in offered  # 成人の日 now collected
    for closed in (dt.date(2026, 12, 28), dt.date(2027, 1, 1), dt.date(2027, 1, 5)):
        assert closed not in offered
    assert dt.date(2027, 1, 6) in offered
    entry = AuditEntry.objects.get(action="bulky.settings_changed")
    assert entry.detail["changes"]["close_national_holidays"] == [True, False]
    assert entry.detail["changes"]["year_end_from_day"] == [29, 28]
    assert entry.detail["changes"]["year_end_to_day"] == [3, 5]

    # Even with every calendar closure off, 元日 is never offered.
    BulkySettings.objects.filter(pk=1).update(close_year_end=False, close_national_holidays=False)
    with time_machine.travel(DEC_1, tick=False):
        html = open_booking_page(uid(4)).client.get("/bulky/r/").content.decode()
    offered = _offered(html, city_defaults.chuo.pk)
    assert dt.date(2027, 1, 1) not in offered and dt.date(2026, 12, 31) in offered


def test_closures_are_shown_on_the_capacity_calendar_and_set_up_pages(city_defaults, waste_client):
    with time_machine.travel(DEC_1, tick=False):
        calendar = waste_client.get("/bulky/calendar/", {"start": "2026-12-27"}).content.decode()
        closures = waste_client.get("/bulky/setup/closures/").content.decode()
    assert "元日" in calendar and "年末年始" in calendar and "祝日（成人の日）" in calendar
    assert calendar.count("休止") >= 2 * 7  # two areas × (12/29–1/3 and 1/11)
    assert "2027年1月1日(金)：元日" in closures and "2027年1月11日(月)：祝日（成人の日）" in closures
