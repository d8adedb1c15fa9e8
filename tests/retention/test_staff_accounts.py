"""Failed sign-ins record whether the account exists, never what was typed; staff cannot
manage their own sign-in address (allauth's e-mail pages are closed); an admin changes it on
the audited staff page, and password resets go only to the address the admin set."""

import json
import re

import pytest
from django.core import mail
from django.core.cache import cache

from accounts import audit, roles
from accounts.models import AuditEntry, User

PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _entry_text(entry: AuditEntry) -> str:
    return " ".join([entry.target_type, entry.target_id, entry.target_repr, entry.actor_label, json.dumps(entry.detail)])


@pytest.mark.django_db
def test_a_password_typed_in_the_login_box_is_not_audited(client, make_staff):
    make_staff(roles.ROAD)
    # a password that happens to look like an address (anything else the form refuses
    # before any sign-in is attempted, and nothing is recorded)
    typed = "Himitsu2026@Pass.jp"
    assert client.post("/accounts/login/", {"login": typed, "password": typed}).status_code == 200
    entries = list(AuditEntry.objects.filter(action=audit.LOGIN_FAILED))
    assert entries, "the failed sign-in is audited"
    for entry in entries:
        assert typed.lower() not in _entry_text(entry).lower()
    assert entries[-1].detail["account_exists"] is False and entries[-1].target_id == ""


@pytest.mark.django_db
def test_unknown_address_and_known_account_are_told_apart_without_the_typed_text(client, make_staff):
    staff = make_staff(roles.WASTE)
    client.post("/accounts/login/", {"login": "nobody@outside.example", "password": "x-wrong-pass"})
    client.post("/accounts/login/", {"login": staff.email.upper(), "password": "x-wrong-pass"})
    unknown, known = AuditEntry.objects.filter(action=audit.LOGIN_FAILED).order_by("id")
    assert unknown.detail["account_exists"] is False and "nobody" not in _entry_text(unknown)
    assert known.detail["account_exists"] is True and known.target_id == str(staff.pk)
    assert "x-wrong-pass" not in _entry_text(unknown) + _entry_text(known)


@pytest.mark.django_db
def test_rate_limited_attempts_are_audited_the_same_way(client):
    for n in range(7):
        client.post("/accounts/login/", {"login": f"typo{n}@secret.jp", "password": "x"}, REMOTE_ADDR="198.51.100.9")
    entries = list(AuditEntry.objects.filter(action=audit.LOGIN_FAILED))
    assert any(e.detail["reason"] == "rate_limited" for e in entries)
    assert all("secret" not in _entry_text(e) and e.detail["account_exists"] is False for e in entries)


@pytest.mark.django_db
def test_staff_cannot_manage_their_own_sign_in_address(client, make_staff):
    staff = make_staff(roles.PR_AUTHOR)
    client.force_login(staff)
    assert client.get("/accounts/email/").status_code == 404
    response = client.post("/accounts/email/", {"action_add": "", "email": "me@outside.example"})
    assert response.status_code == 404
    staff.refresh_from_db()
    assert staff.email != "me@outside.example"
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(email__iexact="me@outside.example").exists()
    # nor on the staff page, which only admins open
    assert client.post(f"/staff/{staff.pk}/", {"email": "me@outside.example", "full_name": "x"}).status_code == 403


@pytest.mark.django_db
def test_an_admin_cannot_change_their_own_address_either(client, make_staff):
    admin = make_staff(roles.ADMIN)
    make_staff(roles.ADMIN)  # another admin exists
    client.force_login(admin)
    old = admin.email
    client.post(f"/staff/{admin.pk}/", {"email": "me@outside.example", "full_name": "管理 一郎", "roles": [roles.ADMIN]})
    admin.refresh_from_db()
    assert admin.email == old


@pytest.mark.django_db
def test_admin_changes_an_address_audited_and_resets_go_only_to_it(client, make_staff):
    admin = make_staff(roles.ADMIN)
    member = make_staff(roles.ROAD, full_name="道路 三郎")
    old = member.email
    client.force_login(admin)
    response = client.post(
        f"/staff/{member.pk}/", {"email": "Road.Saburo@city.example.jp", "full_name": "道路 三郎", "roles": [roles.ROAD]}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "road.saburo@city.example.jp"
    entry = AuditEntry.objects.filter(action=audit.STAFF_UPDATED, target_id=str(member.pk)).latest("id")
    assert entry.actor == admin and entry.detail["email"]["changed"] is True
    assert old not in _entry_text(entry) and "road.saburo@city.example.jp" not in _entry_text(entry)

    client.logout()
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": old})
    client.post("/accounts/password/reset/", {"email": "road.saburo@city.example.jp"})
    links = [(m.to, m.body) for m in mail.outbox if re.search(r"/accounts/password/reset/key/", m.body)]
    assert [to for to, _body in links] == [["road.saburo@city.example.jp"]]
    # and the member signs in with the new address only
    assert client.post("/accounts/login/", {"login": old, "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"login": "road.saburo@city.example.jp", "password": PASSWORD}).status_code == 302
    assert User.objects.filter(email__iexact=old).count() == 0


@pytest.mark.django_db
def test_an_address_already_in_use_is_refused_with_a_message_and_nothing_changes(client, make_staff):
    admin = make_staff(roles.ADMIN)
    member = make_staff(roles.ROAD, full_name="道路 三郎")
    other = make_staff(roles.WASTE)
    client.force_login(admin)
    response = client.post(
        f"/staff/{member.pk}/", {"email": other.email.upper(), "full_name": "道路 四郎", "roles": [roles.ROAD]}
    )
    assert response.status_code == 200
    assert "このメールアドレスの職員は既に登録されています。" in response.content.decode()
    member.refresh_from_db()
    assert member.full_name == "道路 三郎" and member.email != other.email
    assert not AuditEntry.objects.filter(action=audit.STAFF_UPDATED, target_id=str(member.pk)).exists()
