"""Admins manage staff in the portal: list, invite (single-use, expiring link), edit roles,
deactivate/reactivate, reset MFA, role policies. Every change is audited."""

import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import audit, roles
from accounts.models import AuditEntry, RolePolicy, User


def _invite(client, email="new@city.example.jp", role_codes=(roles.ROAD, roles.WASTE)):
    return client.post(
        "/staff/invite/",
        {"email": email, "full_name": "新人 一郎", "department": "道路課", "roles": list(role_codes)},
    )


def _link(message) -> str:
    return re.search(r"http://testserver(/staff/invitation/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_staff_list_shows_roles_active_state_and_mfa_in_fixed_queries(admin_client, make_staff, assert_queries):
    make_staff(roles.ROAD, roles.WASTE, email="two@city.example.jp")
    make_staff(roles.AUDITOR, email="gone@city.example.jp", is_active=False)
    for i in range(10):
        make_staff(roles.PR_AUTHOR, email=f"many{i}@city.example.jp")
    with assert_queries(8):
        response = admin_client.get("/staff/")
    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(r"two@city.example.jp.*?</tr>", html, re.S).group(0)
    assert "道路維持担当" in row and "廃棄物担当" in row and "有効" in row and "未設定" in row
    gone = re.search(r"gone@city.example.jp.*?</tr>", html, re.S).group(0)
    assert "無効" in gone
    admin_row = re.search(r"<td>staff\d+-admin@city.example.jp.*?</tr>", html, re.S).group(0)
    assert "設定済み" in admin_row


@pytest.mark.django_db
def test_invitation_link_sets_the_password_once(admin_client, admin_user):
    response = _invite(admin_client)
    assert response.status_code == 302
    staff = User.objects.get(email="new@city.example.jp")
    assert set(staff.role_codes) == {roles.ROAD, roles.WASTE}
    assert not staff.has_usable_password()
    entry = AuditEntry.objects.get(action=audit.STAFF_INVITED)
    assert entry.actor == admin_user and entry.target_id == str(staff.pk) and entry.detail["roles"] == [roles.ROAD, roles.WASTE]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@city.example.jp"]
    link = _link(mail.outbox[0])

    anonymous = Client()
    assert anonymous.get(link).status_code == 200
    response = anonymous.post(link, {"new_password1": "Fresh-pass-2468", "new_password2": "Fresh-pass-2468"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert AuditEntry.objects.filter(action=audit.PASSWORD_CHANGED, actor=staff).exists()
    # single use: the token hashes the password, which has now changed
    again = anonymous.get(link)
    assert again.status_code == 400 and "無効" in again.content.decode()
    assert anonymous.post("/accounts/login/", {"login": staff.email, "password": "Fresh-pass-2468"}).status_code == 302


@pytest.mark.django_db
def test_invitation_link_expires_after_seven_days(admin_client):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _invite(admin_client)
        link = _link(mail.outbox[0])
        traveller.shift(6 * 86400)
        assert client.get(link).status_code == 200
        traveller.shift(86400 + 60)
        assert client.get(link).status_code == 400


@pytest.mark.django_db
def test_invitation_rejects_a_password_reset_token_and_weak_passwords(admin_client):
    client = Client()
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    _invite(admin_client)
    staff = User.objects.get(email="new@city.example.jp")
    forged = f"/staff/invitation/{urlsafe_base64_encode(force_bytes(staff.pk))}/{default_token_generator.make_token(staff)}/"
    assert client.get(forged).status_code == 400
    link = _link(mail.outbox[0])
    response = client.post(link, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    staff.refresh_from_db()
    assert not staff.has_usable_password()


@pytest.mark.django_db
def test_inviting_an_existing_address_is_refused(admin_client, admin_user):
    response = _invite(admin_client, email=admin_user.email.upper())
    assert response.status_code == 200
    assert "既に登録されています" in response.content.decode()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_edit_roles_name_and_department_is_audited(admin_client, make_staff, admin_user):
    staff = make_staff(roles.ROAD)
    response = admin_client.post(
        f"/staff/{staff.pk}/", {"full_name": "道路 改名", "department": "維持課", "roles": [roles.PR_AUTHOR, roles.PR_APPROVER]}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.full_name == "道路 改名" and staff.department == "維持課"
    assert set(staff.role_codes) == {roles.PR_AUTHOR, roles.PR_APPROVER}
    changed = AuditEntry.objects.get(action=audit.STAFF_ROLES_CHANGED)
    assert changed.detail == {"before": [roles.ROAD], "after": [roles.PR_AUTHOR, roles.PR_APPROVER]}
    assert changed.actor == admin_user
    assert AuditEntry.objects.get(action=audit.STAFF_UPDATED).detail == {"fields": ["department", "full_name"]}


@pytest.mark.django_db
def test_the_last_admin_cannot_lose_the_admin_role_or_be_deactivated(admin_client, admin_user, make_staff):
    response = admin_client.post(f"/staff/{admin_user.pk}/", {"full_name": "x", "department": "", "roles": [roles.AUDITOR]})
    assert response.status_code == 200
    assert roles.ADMIN in admin_user.role_codes
    other = make_staff(roles.ADMIN)
    admin_client.post(f"/staff/{other.pk}/deactivate/")
    other.refresh_from_db()
    assert not other.is_active  # another admin remains
    admin_client.post(f"/staff/{admin_user.pk}/deactivate/")
    admin_user.refresh_from_db()
    assert admin_user.is_active  # not yourself


@pytest.mark.django_db
def test_deactivated_staff_are_signed_out_and_cannot_sign_in_until_reactivated(admin_client, make_staff):
    client = Client()
    staff = make_staff(roles.ROAD)
    client.force_login(staff)
    assert client.get("/").status_code == 200
    assert admin_client.get(f"/staff/{staff.pk}/deactivate/").status_code == 405
    assert admin_client.post(f"/staff/{staff.pk}/deactivate/").status_code == 302
    assert client.get("/").status_code == 302  # the existing session no longer works
    client.logout()
    refused = client.post("/accounts/login/", {"login": staff.email, "password": "pass-word-123"})
    assert refused["Location"] == "/accounts/inactive/"
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action=audit.STAFF_DEACTIVATED, target_id=str(staff.pk)).exists()
    admin_client.post(f"/staff/{staff.pk}/reactivate/")
    assert client.post("/accounts/login/", {"login": staff.email, "password": "pass-word-123"})["Location"] == "/"
    assert AuditEntry.objects.get(action=audit.STAFF_UPDATED).detail == {"is_active": True}


@pytest.mark.django_db
def test_reset_mfa_removes_authenticators_and_is_audited(admin_client, make_staff):
    client = Client()
    other_admin = make_staff(roles.ADMIN)
    assert Authenticator.objects.filter(user=other_admin).exists()
    response = admin_client.post(f"/staff/{other_admin.pk}/reset-mfa/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=other_admin).exists()
    entry = AuditEntry.objects.get(action=audit.STAFF_MFA_RESET)
    assert entry.target_id == str(other_admin.pk) and entry.detail == {"removed": ["totp"]}
    client.force_login(other_admin)
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"  # must set it up again


@pytest.mark.django_db
def test_role_policy_page_toggles_mfa_per_role_but_admin_stays_required(admin_client):
    page = admin_client.get("/staff/roles/")
    assert page.status_code == 200 and "常に必須" in page.content.decode()
    response = admin_client.post("/staff/roles/", {"mfa_road": "on"})  # admin box unticked (disabled)
    assert response.status_code == 302
    policies = {p.group.name: p.mfa_required for p in RolePolicy.objects.select_related("group")}
    assert policies[roles.ROAD] is True
    assert policies[roles.ADMIN] is True
    assert policies[roles.WASTE] is False
    entries = list(AuditEntry.objects.filter(action=audit.ROLE_POLICY_CHANGED))
    assert [(e.target_repr, e.detail) for e in entries] == [(roles.ROAD, {"mfa_required": True})]


@pytest.mark.django_db
def test_resend_invitation_sends_a_new_link(admin_client):
    _invite(admin_client)
    staff = User.objects.get(email="new@city.example.jp")
    admin_client.post(f"/staff/{staff.pk}/resend-invitation/")
    assert len(mail.outbox) == 2
    assert AuditEntry.objects.filter(action=audit.STAFF_INVITED, detail__resent=True).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("code", [roles.PR_AUTHOR, roles.ROAD, roles.AUDITOR])
def test_staff_pages_are_for_admins_only(client, make_staff, code):
    client.force_login(make_staff(code))
    for path in ("/staff/", "/staff/invite/", "/staff/roles/"):
        assert client.get(path).status_code == 403
    assert (
        client.post("/staff/invite/", {"email": "x@city.example.jp", "full_name": "x", "roles": [roles.ADMIN]}).status_code == 403
    )
    assert not User.objects.filter(email="x@city.example.jp").exists()
