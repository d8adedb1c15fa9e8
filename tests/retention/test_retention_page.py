"""The 保存期間 page lists every registered store with its period, what the purge does and
the counts of its last run; admins and auditors only. The registry holds every store the
README's retention table names."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEntry
from portal import retention
from portal.tasks import purge_personal_data

EXPECTED_STORES = {
    "roads.reports",
    "bulky.bookings",
    "line.webhook_events",
    "line.outbound_messages",
    "line.conversations",
    "line.residents",
    "broadcasts.recipients",
    "accounts.audit_details",
}


@pytest.mark.django_db
def test_every_cross_cutting_store_is_registered_with_a_period():
    keys = {store.key for store in retention.stores()}
    assert EXPECTED_STORES <= keys
    for store in retention.stores():
        assert isinstance(store.period_days(), int) and store.period_days() >= 0, store.key
        assert str(store.label) and str(store.holds) and str(store.action), store.key


@pytest.mark.django_db
def test_admin_sees_each_store_its_period_and_last_counts(client, make_staff, settings):
    settings.RETENTION_OUTBOUND_MESSAGE_DAYS = 45
    client.force_login(make_staff(roles.ADMIN))
    before = client.get(reverse("retention")).content.decode()
    assert "まだ実行されていません" in before
    purge_personal_data.apply()
    html = client.get(reverse("retention")).content.decode()
    for store in retention.stores():
        assert str(store.label) in html and str(store.action) in html
    assert "45日" in html
    assert "まだ実行されていません" not in html
    assert "削除した件数: 0" in html


@pytest.mark.django_db
def test_only_admins_and_auditors_open_it(client, make_staff):
    for role, status in ((roles.AUDITOR, 200), (roles.ROAD, 403), (roles.PR_AUTHOR, 403)):
        client.force_login(make_staff(role))
        assert client.get(reverse("retention")).status_code == status, role


@pytest.mark.django_db
def test_audit_details_are_blanked_after_their_period_and_entries_stay(settings):
    from accounts.services import audit_record

    settings.RETENTION_AUDIT_DETAIL_DAYS = 1095
    now = timezone.now()
    # made 1096 days ago (the database's own clock is not moved: PostgreSQL's trigger checks it)
    with time_machine.travel(now - dt.timedelta(days=1096), tick=False):
        entry = audit_record(action="line.resident_lookup", target_repr="住民1件", detail={"reason": "山田花子さんの問い合わせ"})
    with time_machine.travel(now - dt.timedelta(days=2), tick=False):
        purge_personal_data.apply()
    assert AuditEntry.objects.get(pk=entry.pk).detail["reason"]
    result = purge_personal_data.apply().get()
    assert result["accounts.audit_details"]["details_purged"] >= 1
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert kept.detail == {"purged": True} and kept.action == "line.resident_lookup" and kept.target_repr == "住民1件"
    assert purge_personal_data.apply().get()["accounts.audit_details"]["details_purged"] == 0  # idempotent


@pytest.mark.django_db
def test_the_audit_detail_period_never_goes_under_a_year(settings):
    settings.RETENTION_AUDIT_DETAIL_DAYS = 10
    store = next(s for s in retention.stores() if s.key == "accounts.audit_details")
    assert store.period_days() == 365


@pytest.mark.django_db
def test_postgresql_allows_only_the_detail_purge_of_old_entries():
    from django.db import DatabaseError, connection, transaction

    from accounts.services import audit_record

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    fresh = audit_record(action="auth.login_success", detail={"x": 1})
    with time_machine.travel(timezone.now() - dt.timedelta(days=730), tick=False):
        old = audit_record(action="auth.login_success", detail={"x": 2})
    refused = (
        ("UPDATE accounts_auditentry SET detail = '{\"purged\": true}' WHERE id = %s", fresh.pk),  # too recent
        ("UPDATE accounts_auditentry SET detail = '{\"purged\": true}', target_repr = 'x' WHERE id = %s", old.pk),
        ("UPDATE accounts_auditentry SET detail = '{}' WHERE id = %s", old.pk),  # not the marker
        ("DELETE FROM accounts_auditentry WHERE id = %s", old.pk),
    )
    for sql, pk in refused:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditentry SET detail = '{\"purged\": true}' WHERE id = %s", [old.pk])
    assert AuditEntry.objects.get(pk=old.pk).detail == {"purged": True}
    assert AuditEntry.objects.get(pk=fresh.pk).detail == {"x": 1}


@pytest.mark.django_db
def test_the_page_reads_in_english_too(client, make_staff, settings):
    client.force_login(make_staff(roles.ADMIN))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("retention")).content.decode()
    assert "Retention of personal data" in html and "Events received from LINE" in html and "Audit log details" in html
    assert "7 days" in html


@pytest.mark.django_db
def test_one_failing_store_does_not_stop_the_others():
    from portal.line.models import WebhookEvent

    def broken(cutoff):
        raise ValueError("disk full")

    WebhookEvent.objects.create(webhook_event_id="old", event_type="message", payload={"x": 1}, state=WebhookEvent.State.DONE)
    retention.register(retention.Store(key="aa.broken", label="壊れた", holds="", action="", period_days=lambda: 1, purge=broken))
    try:
        with pytest.raises(retention.RetentionPurgeFailed, match="aa.broken"):
            purge_personal_data.apply(throw=True)
    finally:
        retention._STORES.pop("aa.broken")
    assert WebhookEvent.objects.get(webhook_event_id="old").payload == {}  # the later stores still ran
    assert AuditEntry.objects.filter(action="retention.purged", target_id="line.webhook_events").exists()
    assert not AuditEntry.objects.filter(action="retention.purged", target_id="aa.broken").exists()
