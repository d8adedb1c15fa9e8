"""Staff sessions: signed out after 30 idle minutes and 10 hours after sign-in however
active; password reset mails nobody for an unknown address."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import roles

LOGIN = "/accounts/login/"


def sign_in(client: Client, staff) -> None:
    response = client.post(LOGIN, {"login": staff.email, "password": "pass-word-123"})
    assert response.status_code == 302


class Session:
    """A staff member signed in through the sign-in form with the clock stopped; ``at(...)``
    stops it again that long after the sign-in."""

    def __init__(self, staff) -> None:
        self.staff = staff
        self.client = Client()
        self.start = timezone.now()
        with self.at():
            sign_in(self.client, staff)

    def at(self, **after: float) -> time_machine.travel:
        return time_machine.travel(self.start + dt.timedelta(**after), tick=False)


@pytest.fixture
def signed_in(make_staff):
    """``signed_in(role)``: a new staff member of ``role``, signed in (a Session)."""
    return lambda role: Session(make_staff(role))


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    from django.core.cache import cache

    cache.clear()


def test_the_defaults(settings):
    assert settings.SESSION_IDLE_TIMEOUT_SECONDS == 30 * 60
    assert settings.STAFF_SESSION_MAX_AGE_SECONDS == 10 * 60 * 60
    assert settings.SESSION_COOKIE_AGE <= settings.STAFF_SESSION_MAX_AGE_SECONDS
    assert settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS is False


@pytest.mark.django_db
def test_thirty_idle_minutes_sign_a_staff_member_out(signed_in):
    session = signed_in(roles.ROAD)
    client = session.client
    with session.at():
        assert client.get("/roads/").status_code == 200
    with session.at(minutes=29):
        assert client.get("/roads/").status_code == 200  # active again: the idle clock restarts
    with session.at(minutes=29 + 31):
        response = client.get("/roads/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        page = client.get(response["Location"]).content.decode()
        assert "一定時間操作がなかったため、サインアウトしました" in page
        assert client.get("/roads/").status_code == 302  # the session is gone, not just this answer


@pytest.mark.django_db
def test_the_idle_limit_is_a_setting(settings, signed_in):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 5 * 60
    session = signed_in(roles.ROAD)
    with session.at(minutes=6):
        assert session.client.get("/roads/").status_code == 302


@pytest.mark.django_db
def test_an_active_session_still_ends_ten_hours_after_sign_in(signed_in):
    session = signed_in(roles.WASTE)
    client = session.client
    # A request every 20 minutes for almost ten hours: never idle.
    for step in range(1, 30):
        with session.at(minutes=20 * step):
            assert client.get("/bulky/").status_code == 200, f"signed out after {20 * step} minutes"
    with session.at(hours=10, minutes=1):
        response = client.get("/bulky/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert "サインインから時間が経ったため" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_signing_in_again_starts_a_new_session(signed_in):
    session = signed_in(roles.ROAD)
    with session.at(hours=2):
        assert session.client.get("/roads/").status_code == 302
        sign_in(session.client, session.staff)
        assert session.client.get("/roads/").status_code == 200


@pytest.mark.django_db
def test_the_api_refuses_an_idle_session_too(signed_in):
    session = signed_in(roles.WASTE)
    with session.at():
        assert session.client.get("/bulky/api/bookings/").status_code == 200
    with session.at(minutes=45):
        assert session.client.get("/bulky/api/bookings/").status_code in (401, 403)


@pytest.mark.django_db
def test_password_reset_mails_nobody_for_an_unknown_address(client, make_staff):
    response = client.post("/accounts/password/reset/", {"email": "nobody@city.example.jp"})
    assert response.status_code == 302  # the same "sent" page: the answer says nothing
    assert mail.outbox == []
    staff = make_staff(roles.ROAD)
    client.post("/accounts/password/reset/", {"email": staff.email})
    assert [m.to for m in mail.outbox] == [[staff.email]]
