"""A TOTP code signs in once: a second sign-in in the same 30 seconds with the same code is
refused, and the page says why (wait for the next code) instead of 「コードが正しくありません」."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import roles
from tests.fixtures.accounts import totp_code_for

LOGIN = "/accounts/login/"
MFA = "/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _password_step(client: Client, user) -> None:
    response = client.post(LOGIN, {"login": user.email, "password": "pass-word-123"})
    assert response.status_code == 302 and response["Location"].startswith(MFA)


@pytest.mark.django_db
def test_a_reused_code_is_explained(make_staff):
    admin = make_staff(roles.ADMIN)
    with time_machine.travel(timezone.now(), tick=False):  # both sign-ins in one 30-second period
        code = totp_code_for(admin)
        first = Client()
        _password_step(first, admin)
        assert first.post(MFA, {"code": code}).status_code == 302
        second = Client()
        _password_step(second, admin)
        response = second.post(MFA, {"code": code})
        html = response.content.decode()
        assert response.status_code == 200
        assert "このコードはすでに使われています" in html
        assert "30秒ごと" in html
        assert second.get("/").status_code == 302  # not signed in


@pytest.mark.django_db
def test_a_wrong_code_still_reads_as_wrong(make_staff):
    admin = make_staff(roles.ADMIN)
    client = Client()
    _password_step(client, admin)
    wrong = "000000" if totp_code_for(admin) != "000000" else "111111"
    html = client.post(MFA, {"code": wrong}).content.decode()
    assert "このコードはすでに使われています" not in html


@pytest.mark.django_db
def test_the_next_code_signs_in(make_staff):
    admin = make_staff(roles.ADMIN)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = Client()
        _password_step(first, admin)
        assert first.post(MFA, {"code": totp_code_for(admin)}).status_code == 302
    with time_machine.travel(start.timestamp() + 31, tick=False):
        second = Client()
        _password_step(second, admin)
        assert second.post(MFA, {"code": totp_code_for(admin)}).status_code == 302
        assert second.get("/").status_code == 200
