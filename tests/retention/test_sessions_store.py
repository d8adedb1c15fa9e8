"""Expired sessions (a resident's booking-page session names the resident) are a registered
store: the hourly job deletes them once expired, never a live one. Django itself never does."""

import datetime as dt

import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.tasks import purge_personal_data


def test_expired_booking_sessions_are_deleted_live_ones_stay(bulky_setup, open_booking_page):
    page = open_booking_page("U" + "5e" * 16)
    key = page.client.session.session_key
    assert Session.objects.filter(pk=key).exists()
    assert purge_personal_data.apply().get()["portal.sessions"] == {"deleted": 0}  # alive
    later = timezone.now() + dt.timedelta(seconds=django_settings.SESSION_COOKIE_AGE + 60)
    with time_machine.travel(later, tick=False):
        assert purge_personal_data.apply().get()["portal.sessions"]["deleted"] >= 1
        assert not Session.objects.filter(pk=key).exists()
        assert purge_personal_data.apply().get()["portal.sessions"] == {"deleted": 0}  # idempotent
