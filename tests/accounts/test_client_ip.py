"""Behind the TLS proxy: rate limits and the audit log see the client, not the proxy.

The proxy (10.0.0.1, the only peer the portal sees) appends the address it saw to
``X-Forwarded-For``; ``TRUSTED_PROXY_COUNT = 1`` tells the portal so.
"""

import pytest
from django.test import Client

from accounts import audit, roles
from accounts.models import AuditEntry

LOGIN = "/accounts/login/"
PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def through_proxy(client: Client, email: str, password: str, *, client_address: str, sent_xff: str = ""):
    """What the proxy forwards: the client's own X-Forwarded-For (if any) + the address it saw."""
    xff = f"{sent_xff}, {client_address}" if sent_xff else client_address
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)


@pytest.mark.django_db
def test_five_typos_from_five_clients_do_not_lock_out_a_sixth(behind_proxy, make_staff):
    staff = [make_staff(roles.ROAD) for _ in range(6)]
    for i in range(5):
        response = through_proxy(Client(), staff[i].email, "wrong-password", client_address=f"198.51.100.{i + 1}")
        assert response.status_code == 200  # the form again, with the error
    sixth = Client()
    response = through_proxy(sixth, staff[5].email, "pass-word-123", client_address="198.51.100.6")
    assert response.status_code == 302, "a sixth client was locked out by other people's typos"
    assert sixth.get("/").status_code == 200


@pytest.mark.django_db
def test_audit_entries_record_the_client_not_the_proxy(behind_proxy, make_staff):
    staff = make_staff(roles.WASTE)
    through_proxy(Client(), staff.email, "wrong-password", client_address="203.0.113.5")
    through_proxy(Client(), staff.email, "pass-word-123", client_address="203.0.113.9")
    failed = AuditEntry.objects.get(action=audit.LOGIN_FAILED)
    success = AuditEntry.objects.get(action=audit.LOGIN_SUCCESS)
    assert (failed.ip, success.ip) == ("203.0.113.5", "203.0.113.9")
    assert not AuditEntry.objects.filter(ip=PROXY).exists()


@pytest.mark.django_db
def test_a_client_cannot_escape_its_limit_by_writing_its_own_forwarded_for(behind_proxy, make_staff):
    victims = [make_staff(roles.ROAD) for _ in range(6)]
    for i in range(5):
        through_proxy(Client(), victims[i].email, "wrong", client_address="198.51.100.77", sent_xff=f"192.0.2.{i}")
    response = through_proxy(Client(), victims[5].email, "pass-word-123", client_address="198.51.100.77", sent_xff="192.0.2.99")
    assert response.status_code == 200
    assert "ログイン失敗が連続しています" in response.content.decode()
    assert set(AuditEntry.objects.filter(action=audit.LOGIN_FAILED).values_list("ip", flat=True)) == {"198.51.100.77"}


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(make_staff):
    """Default (TRUSTED_PROXY_COUNT = 0): anyone could write X-Forwarded-For, so only
    REMOTE_ADDR counts, and five typos from one address lock that address."""
    victims = [make_staff(roles.ROAD) for _ in range(6)]
    for i in range(5):
        through_proxy(Client(), victims[i].email, "wrong", client_address=f"198.51.100.{i + 1}")
    response = through_proxy(Client(), victims[5].email, "pass-word-123", client_address="198.51.100.6")
    assert response.status_code == 200
    assert set(AuditEntry.objects.filter(action=audit.LOGIN_FAILED).values_list("ip", flat=True)) == {PROXY}


@pytest.mark.django_db
def test_a_direct_connection_with_too_few_hops_counts_its_peer(settings, make_staff):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    staff = make_staff(roles.ROAD)
    response = Client().post(
        LOGIN, {"login": staff.email, "password": "pass-word-123"}, REMOTE_ADDR="198.51.100.50", HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert response.status_code == 302
    assert AuditEntry.objects.get(action=audit.LOGIN_SUCCESS).ip == "198.51.100.50"
