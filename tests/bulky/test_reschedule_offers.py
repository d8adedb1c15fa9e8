"""The third place dates are offered: the waste desk's 「新しい収集日」 list on a booking's
page never offers 元日, a national holiday or 年末年始 (the resident's form and the
availability API are covered in test_holidays.py)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import jpholiday
import time_machine

from intake.bulky.models import Booking, BulkySettings

DEC_1 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
YEAR_END = {dt.date(2026, 12, d) for d in (29, 30, 31)} | {dt.date(2027, 1, d) for d in (1, 2, 3)}


def test_staff_reschedule_never_offers_holidays_or_year_end(bulky_setup, open_booking_page, waste_client):
    fields = ["close_national_holidays", "close_year_end", "year_end_from_day", "year_end_to_day"]
    BulkySettings.objects.filter(pk=1).update(**{f: BulkySettings._meta.get_field(f).default for f in fields})
    # Mondays, Thursdays and Fridays: the page's 20 dates reach past 年末年始 and 成人の日.
    bulky_setup.chuo.weekdays = "034"
    bulky_setup.chuo.save()
    with time_machine.travel(DEC_1, tick=False):
        page = open_booking_page("U" + "7" * 32)
        form = page.form(area=bulky_setup.chuo.pk, collection_date="2026-12-28", items={bulky_setup.chair: 1})
        assert page.book(form).status_code == 302
        booking = Booking.objects.get()
        html = waste_client.get(f"/bulky/bookings/{booking.pk}/").content.decode()
    select = re.search(r'<select id="id_new_date".*?</select>', html, flags=re.S).group(0)
    offered = [dt.date.fromisoformat(v) for v in re.findall(r'<option value="([\d-]+)"', select)]
    assert {dt.date(2026, 12, 25), dt.date(2027, 1, 4), dt.date(2027, 1, 14)} <= set(offered)
    for date in offered:
        assert not jpholiday.is_holiday(date), date
        assert date not in YEAR_END, date
    # 元日 stays closed even when the city turns both closures off.
    BulkySettings.objects.filter(pk=1).update(close_national_holidays=False, close_year_end=False)
    with time_machine.travel(DEC_1, tick=False):
        html = waste_client.get(f"/bulky/bookings/{booking.pk}/").content.decode()
    select = re.search(r'<select id="id_new_date".*?</select>', html, flags=re.S).group(0)
    offered = {dt.date.fromisoformat(v) for v in re.findall(r'<option value="([\d-]+)"', select)}
    assert dt.date(2027, 1, 1) not in offered and {dt.date(2026, 12, 31), dt.date(2027, 1, 11)} <= offered
