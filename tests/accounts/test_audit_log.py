"""The audit log: admins and auditors filter it by date, actor and action, page through it
and export it as CSV (the export is audited); nobody can change or delete an entry."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts import audit, roles
from accounts.models import AuditEntry
from accounts.services import audit_record


@pytest.mark.django_db
@pytest.mark.parametrize("code", [roles.ADMIN, roles.AUDITOR])
def test_admins_and_auditors_filter_by_date_actor_and_action(client, make_staff, code):
    viewer = make_staff(code)
    other = make_staff(roles.ROAD, email="road-actor@city.example.jp")
    AuditEntry.objects.create(
        at=timezone.now() - timedelta(days=10),
        action=audit.LOGIN_SUCCESS,
        actor=other,
        actor_label=other.email,
        target_repr="old-one",
    )
    AuditEntry.objects.create(action=audit.LOGIN_SUCCESS, actor=other, actor_label=other.email, target_repr="recent-road")
    AuditEntry.objects.create(action=audit.STAFF_INVITED, actor=viewer, actor_label=viewer.email, target_repr="recent-invite")
    client.force_login(viewer)

    html = client.get("/staff/audit/").content.decode()
    assert "old-one" in html and "recent-road" in html and "recent-invite" in html
    assert "サインイン" in html and "職員の招待" in html  # Japanese action labels

    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    html = client.get("/staff/audit/", {"date_from": since}).content.decode()
    assert "old-one" not in html and "recent-road" in html

    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    html = client.get("/staff/audit/", {"date_to": until}).content.decode()
    assert "old-one" in html and "recent-road" not in html

    html = client.get("/staff/audit/", {"actor": other.pk}).content.decode()
    assert "recent-road" in html and "recent-invite" not in html

    html = client.get("/staff/audit/", {"action": audit.STAFF_INVITED}).content.decode()
    assert "recent-invite" in html and "recent-road" not in html


@pytest.mark.django_db
def test_audit_log_is_paginated_with_a_fixed_number_of_queries(client, make_staff, assert_queries):
    auditor = make_staff(roles.AUDITOR)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(action=audit.LOGIN_FAILED, target_repr=f"attempt-{i:03d}", actor=auditor, actor_label=auditor.email)
            for i in range(120)
        ]
    )
    client.force_login(auditor)
    with assert_queries(8):
        first = client.get("/staff/audit/", {"action": audit.LOGIN_FAILED}).content.decode()
    assert "1 / 3" in first and "attempt-119" in first and "attempt-000" not in first
    last = client.get("/staff/audit/", {"action": audit.LOGIN_FAILED, "page": 3}).content.decode()
    assert "attempt-000" in last and "attempt-119" not in last
    assert "action=auth.login_failed&amp;page=2" in last  # the filter survives paging


@pytest.mark.django_db
def test_csv_export_follows_the_filters_and_is_itself_audited(client, make_staff):
    auditor = make_staff(roles.AUDITOR)
    AuditEntry.objects.create(action=audit.STAFF_INVITED, actor_label="a@city.example.jp", target_repr='=HYPERLINK("x")')
    AuditEntry.objects.create(action=audit.LOGIN_SUCCESS, actor_label="b@city.example.jp", target_repr="plain")
    client.force_login(auditor)
    response = client.get("/staff/audit/export.csv", {"action": audit.STAFF_INVITED})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["日時", "実行者", "操作"]
    assert len(rows) == 2
    assert rows[1][2] == "職員の招待" and rows[1][3] == audit.STAFF_INVITED
    assert rows[1][6] == '\'=HYPERLINK("x")'  # formulas are neutralised
    export = AuditEntry.objects.get(action=audit.AUDIT_EXPORTED)
    assert export.actor == auditor
    assert export.detail == {"filters": {"action": audit.STAFF_INVITED}, "rows": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("code", [roles.PR_AUTHOR, roles.PR_APPROVER, roles.ROAD, roles.WASTE])
def test_other_roles_cannot_read_or_export_the_audit_log(client, make_staff, code):
    client.force_login(make_staff(code))
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403
    assert not AuditEntry.objects.filter(action=audit.AUDIT_EXPORTED).exists()


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit_record(action=audit.LOGIN_SUCCESS, target_repr="kept")
    entry.target_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(target_repr="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).target_repr == "kept"


@pytest.mark.django_db
def test_no_url_offers_to_change_an_entry(admin_client):
    entry = audit_record(action=audit.LOGIN_SUCCESS, target_repr="kept")
    for path in (
        f"/staff/audit/{entry.pk}/",
        f"/staff/audit/{entry.pk}/delete/",
        f"/django-admin/accounts/auditentry/{entry.pk}/delete/",
    ):
        admin_client.post(path)
    assert AuditEntry.objects.filter(pk=entry.pk, target_repr="kept").exists()


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_trigger_rejects_raw_update_and_delete():
    entry = audit_record(action=audit.LOGIN_SUCCESS, target_repr="kept")
    statements = (
        "UPDATE accounts_auditentry SET target_repr = 'changed' WHERE id = %s",
        "DELETE FROM accounts_auditentry WHERE id = %s",
    )
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).target_repr == "kept"
