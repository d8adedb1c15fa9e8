"""Demo data: every role has a login; the demo admin signs in with the printed TOTP helper."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import roles
from accounts.demo import DEMO_STAFF


@pytest.mark.django_db
def test_demo_staff_sign_in_and_the_admin_uses_demo_totp(settings):
    from accounts.demo import load_demo_staff

    said: list[str] = []
    load_demo_staff(said.append)
    load_demo_staff(said.append)  # idempotent
    assert {code for _e, _n, codes, _p in DEMO_STAFF for code in codes} == set(roles.ROLE_ORDER)
    assert "demo-admin-pass" in "\n".join(said)
    client = Client()
    response = client.post("/accounts/login/", {"login": "road@city.example.jp", "password": "demo-road-pass"})
    assert response["Location"] == "/"
    admin = Client()
    response = admin.post("/accounts/login/", {"login": "admin@city.example.jp", "password": "demo-admin-pass"})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_totp", "admin@city.example.jp", stdout=out)
    code = out.getvalue().split()[0]
    assert admin.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    assert admin.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_demo_totp_refuses_without_debug(settings, admin_user):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_totp", admin_user.email, stdout=io.StringIO())
