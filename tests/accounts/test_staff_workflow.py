"""The staff-account table (accounts/workflow.py): 招待中 / 有効 / 無効, which buttons each state
offers, and that an action the state does not allow is refused in the admin's words and
changes nothing (no audit entry, no e-mail)."""

import pytest
from django.core import mail

from accounts import audit, roles
from accounts.models import AuditEntry, User
from accounts.workflow import WORKFLOW


def _invite(client, email: str = "invited@city.example.jp") -> User:
    response = client.post("/staff/invite/", {"email": email, "full_name": "招待 花子", "department": "", "roles": [roles.WASTE]})
    assert response.status_code == 302
    return User.objects.get(email=email)


def test_the_table_lists_states_and_transitions_in_staff_words():
    assert {k: str(v.label) for k, v in WORKFLOW.states.items()} == {"invited": "招待中", "active": "有効", "inactive": "無効"}
    assert WORKFLOW.transitions() == {"invited": {"active", "inactive"}, "active": {"inactive"}, "inactive": set()}
    assert WORKFLOW.sources("reactivate") == {"inactive"}
    assert WORKFLOW.sources("resend_invitation") == {"invited"}


@pytest.mark.django_db
def test_each_state_offers_only_its_buttons(admin_client, make_staff):
    invited = _invite(admin_client)
    page = admin_client.get(f"/staff/{invited.pk}/").content.decode()
    assert "招待中" in page and "招待メールを再送" in page and "無効化" in page and "有効化</button>" not in page

    active = make_staff(roles.ROAD)
    page = admin_client.get(f"/staff/{active.pk}/").content.decode()
    assert "招待メールを再送" not in page and "無効化</button>" in page and "有効化</button>" not in page

    admin_client.post(f"/staff/{active.pk}/deactivate/")
    page = admin_client.get(f"/staff/{active.pk}/").content.decode()
    assert "有効化</button>" in page and "無効化</button>" not in page


@pytest.mark.django_db
def test_actions_the_state_does_not_allow_are_refused_and_change_nothing(admin_client, make_staff):
    active = make_staff(roles.ROAD)
    entries = AuditEntry.objects.count()

    response = admin_client.post(f"/staff/{active.pk}/resend-invitation/", follow=True)
    assert "既にパスワードを設定済みです" in response.content.decode()
    assert len(mail.outbox) == 0

    response = admin_client.post(f"/staff/{active.pk}/reactivate/", follow=True)
    assert "すでに有効です" in response.content.decode()
    assert AuditEntry.objects.count() == entries

    assert admin_client.post(f"/staff/{active.pk}/deactivate/").status_code == 302
    assert AuditEntry.objects.filter(action=audit.STAFF_DEACTIVATED, target_id=str(active.pk)).count() == 1
    response = admin_client.post(f"/staff/{active.pk}/deactivate/", follow=True)
    assert "すでに無効です" in response.content.decode()
    assert AuditEntry.objects.filter(action=audit.STAFF_DEACTIVATED, target_id=str(active.pk)).count() == 1

    response = admin_client.post(f"/staff/{active.pk}/reactivate/", follow=True)
    assert "を有効化しました" in response.content.decode()
    active.refresh_from_db()
    assert active.is_active and active.account_state == "active"


@pytest.mark.django_db
def test_a_deactivated_invitation_goes_back_to_invited_and_cannot_be_resent_meanwhile(admin_client):
    invited = _invite(admin_client)
    admin_client.post(f"/staff/{invited.pk}/deactivate/")
    invited.refresh_from_db()
    assert invited.account_state == "inactive"
    response = admin_client.post(f"/staff/{invited.pk}/resend-invitation/", follow=True)
    assert response.status_code == 200 and "再送しました" not in response.content.decode()
    assert len(mail.outbox) == 1  # only the first invitation
    admin_client.post(f"/staff/{invited.pk}/reactivate/")
    invited.refresh_from_db()
    assert invited.account_state == "invited"
    admin_client.post(f"/staff/{invited.pk}/resend-invitation/")
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_an_edit_refused_in_part_saves_nothing(admin_client, admin_user):
    """The staff page's form is one change: the last admin losing the role keeps the old name too."""
    response = admin_client.post(f"/staff/{admin_user.pk}/", {"full_name": "改名", "department": "", "roles": [roles.AUDITOR]})
    assert response.status_code == 200 and "システム管理者が1人もいなくなる" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.full_name != "改名" and roles.ADMIN in admin_user.role_codes
