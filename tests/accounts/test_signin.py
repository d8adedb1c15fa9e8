"""Sign-in through allauth: Japanese pages, no sign-up, TOTP, rate limiting, password reset,
MFA enforcement, and the audit entries each of these leaves."""

import re

import pytest
from django.core import mail

from accounts import audit, roles
from accounts.models import AuditEntry
from tests.fixtures.accounts import totp_code_for

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; on Redis they would outlive the test."""
    from django.core.cache import cache

    cache.clear()


PASSWORD = "pass-word-123"


def _login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


@pytest.mark.django_db
def test_sign_in_page_is_japanese_in_the_portal_layout_and_offers_no_sign_up(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "職員サインイン" in html
    assert "パスワードをお忘れの方" in html
    assert "portal/portal.css" in html  # the portal's own layout, not allauth's bare one
    assert "/accounts/signup/" not in html
    signup = client.get("/accounts/signup/")
    assert "新規登録はできません" in signup.content.decode()
    assert client.post("/accounts/signup/", {"email": "x@example.jp", "password1": "Xx-long-pass-123"}).status_code == 200
    from accounts.models import User

    assert not User.objects.filter(email="x@example.jp").exists()


@pytest.mark.django_db
def test_password_sign_in_without_mfa_is_audited(client, make_staff):
    staff = make_staff(roles.ROAD)
    response = _login(client, staff.email, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.get(action=audit.LOGIN_SUCCESS)
    assert entry.actor == staff
    assert entry.ip == "192.0.2.7"


@pytest.mark.django_db
def test_admin_sign_in_needs_the_totp_code(client, make_staff, audit_actions):
    admin = make_staff(roles.ADMIN)
    response = _login(client, admin.email)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert audit.LOGIN_SUCCESS not in audit_actions()
    failed = AuditEntry.objects.filter(action=audit.LOGIN_FAILED).last()
    assert failed.detail["reason"] == "mfa"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code_for(admin)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert audit_actions(action=audit.LOGIN_SUCCESS) == [audit.LOGIN_SUCCESS]


@pytest.mark.django_db
def test_sixth_wrong_password_is_refused_even_with_the_right_password(client, make_staff, audit_actions):
    staff = make_staff(roles.WASTE)
    for _ in range(5):
        response = _login(client, staff.email, password="wrong-password")
        assert response.status_code == 200
    response = _login(client, staff.email)  # the right password, but too late
    assert response.status_code == 200
    assert "ログイン失敗が連続しています" in response.content.decode()
    assert client.get("/").status_code == 302
    failures = AuditEntry.objects.filter(action=audit.LOGIN_FAILED).order_by("id")
    assert failures.count() == 6
    assert [e.detail.get("reason") for e in failures][-1] == "rate_limited"
    assert all(e.target_id == str(staff.pk) and e.detail["account_exists"] for e in failures)
    assert audit.LOGIN_SUCCESS not in audit_actions()


@pytest.mark.django_db
def test_another_address_is_not_blocked_by_someone_elses_failures_from_another_ip(client, make_staff):
    victim, other = make_staff(roles.WASTE), make_staff(roles.ROAD)
    for _ in range(5):
        _login(client, victim.email, password="wrong-password", REMOTE_ADDR="198.51.100.1")
    assert _login(client, other.email, REMOTE_ADDR="198.51.100.2").status_code == 302


@pytest.mark.django_db
def test_password_reset_by_email(client, make_staff):
    staff = make_staff(roles.PR_AUTHOR)
    response = client.post("/accounts/password/reset/", {"email": staff.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    response = client.post(action, {"password1": "A-new-pass-4567", "password2": "A-new-pass-4567"})
    assert response.status_code == 302
    reset = AuditEntry.objects.get(action=audit.PASSWORD_CHANGED)
    assert reset.target_id == str(staff.pk) and reset.detail == {"via": "reset"}
    client.logout()
    assert _login(client, staff.email, password="A-new-pass-4567").status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_admin_without_totp_is_sent_to_set_it_up_and_set_up_is_audited(client, make_staff, run_on_commit):
    admin = make_staff(roles.ADMIN, with_totp=False)
    assert _login(client, admin.email).status_code == 302  # password only: no TOTP yet
    for path in ("/", "/staff/", "/staff/audit/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/healthz").status_code == 200  # sign-in, health and language stay open
    assert client.post("/i18n/setlang/", {"language": "ja", "next": "/"}).status_code == 302
    # allauth.mfa asks for the password again before any MFA change
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    from tests.fixtures.accounts import totp_code_from_secret

    with run_on_commit():  # allauth signals after commit
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code_from_secret(secret)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    entries = AuditEntry.objects.filter(action=audit.MFA_CHANGED)
    # TOTP added, and recovery codes generated with it
    assert {(e.detail["event"], e.detail["type"]) for e in entries} == {("added", "totp"), ("added", "recovery_codes")}
    assert all(e.actor == admin and e.target_id == str(admin.pk) for e in entries)


@pytest.mark.django_db
def test_other_roles_need_mfa_only_when_their_policy_says_so(client, make_staff):
    from accounts.models import RolePolicy

    staff = make_staff(roles.ROAD, roles.WASTE)
    client.force_login(staff)
    assert client.get("/").status_code == 200
    RolePolicy.objects.filter(group__name=roles.WASTE).update(mfa_required=True)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.django_db
def test_removing_totp_is_audited(client, make_staff, run_on_commit):
    staff = make_staff(roles.ROAD, with_totp=True)
    client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code_for(staff)})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})  # allauth.mfa asks again
    with run_on_commit():
        response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action=audit.MFA_CHANGED).last()
    assert entry.detail == {"event": "removed", "type": "totp"}
    assert entry.target_id == str(staff.pk)


@pytest.mark.django_db
def test_a_recovery_code_signs_in_once(client, make_staff):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    admin = make_staff(roles.ADMIN)
    code = RecoveryCodes.activate(admin).get_unused_codes()[0]
    _login(client, admin.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    client.logout()
    _login(client, admin.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200  # used up
    assert client.get("/").status_code == 302
