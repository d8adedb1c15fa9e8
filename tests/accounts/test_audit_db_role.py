"""On PostgreSQL the portal runs as a role that can only append to and read the audit log:
``manage.py grant_app_role`` (run by the owner after migrate) sets it up, and the database
refuses that role every way of changing or removing entries."""

import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

pytestmark = pytest.mark.postgres

AUDIT = "accounts_auditentry"


def _connect_as(role: str):
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],  # the test database while tests run
        user=role,
        autocommit=True,
    )


@pytest.fixture
def app_role(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature (SQLite: see README)")
    role = f"portal_app_test_{uuid.uuid4().hex[:10]}"
    call_command("grant_app_role", role, "--create", stdout=open("/dev/null", "w"))
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def test_the_app_role_appends_and_reads_but_changes_nothing(app_role):
    from psycopg import errors

    with _connect_as(app_role) as conn:
        entry_id = conn.execute(
            f"INSERT INTO {AUDIT} (at, actor_label, action, target_type, target_id, target_repr, detail) "  # noqa: S608
            "VALUES (now(), 'app', 'test.appended', '', '', 'kept', '{}'::jsonb) RETURNING id"
        ).fetchone()[0]
        assert conn.execute(f"SELECT target_repr FROM {AUDIT} WHERE id = %s", [entry_id]).fetchone() == ("kept",)  # noqa: S608
        refused = {
            "UPDATE": f"UPDATE {AUDIT} SET target_repr = 'changed' WHERE id = {entry_id}",  # noqa: S608
            "UPDATE at": f"UPDATE {AUDIT} SET at = now() - interval '2 years' WHERE id = {entry_id}",  # noqa: S608
            "UPDATE detail": f"UPDATE {AUDIT} SET detail = '{{\"changed\": 1}}'::jsonb WHERE id = {entry_id}",  # noqa: S608
            "DELETE": f"DELETE FROM {AUDIT} WHERE id = {entry_id}",  # noqa: S608
            "TRUNCATE": f"TRUNCATE {AUDIT}",
            "DISABLE TRIGGER": f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL",
            "DISABLE TRIGGER (one)": f"ALTER TABLE {AUDIT} DISABLE TRIGGER accounts_auditentry_append_only",
            "DROP TRIGGER": f"DROP TRIGGER accounts_auditentry_append_only ON {AUDIT}",
            "DROP TABLE": f"DROP TABLE {AUDIT}",
        }
        for label, statement in refused.items():
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
                pytest.fail(f"{label} was allowed for the app role")
        assert conn.execute(f"SELECT target_repr, detail FROM {AUDIT} WHERE id = %s", [entry_id]).fetchone() == ("kept", {})  # noqa: S608
        # The portal's other tables stay writable: the app works as this role.
        conn.execute("UPDATE accounts_user SET full_name = full_name")
        conn.execute("DELETE FROM django_session WHERE expire_date < now() - interval '100 years'")


def test_the_grants_themselves_allow_only_insert_and_select(app_role):
    """Not only the trigger: the role holds no UPDATE (but of ``detail``, the retention
    job's narrow exception that the trigger limits), DELETE or TRUNCATE on the audit log."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p, has_table_privilege(%s, %s, p) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) p",
            [app_role, AUDIT],
        )
        assert dict(cursor.fetchall()) == {
            "SELECT": True,
            "INSERT": True,
            "UPDATE": False,
            "DELETE": False,
            "TRUNCATE": False,
            "TRIGGER": False,
        }
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
            "AND has_column_privilege(%s, %s, attname, 'UPDATE')",
            [AUDIT, app_role, AUDIT],
        )
        assert [row[0] for row in cursor.fetchall()] == ["detail"]
        cursor.execute("SELECT relowner::regrole::text FROM pg_class WHERE oid = %s::regclass", [AUDIT])
        assert cursor.fetchone()[0] != app_role


def test_the_owner_is_refused_as_app_role(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="owner"):
        call_command("grant_app_role", owner)


@pytest.mark.django_db
def test_on_sqlite_the_command_says_there_are_no_roles():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="SQLite"):
        call_command("grant_app_role", "portal_app")


def test_the_retention_job_can_still_blank_old_details_as_the_app_role(app_role):
    """The one narrow exception (migration 0002's trigger): ``detail`` set to the purge marker
    on an entry at least a year old. Anything else stays refused."""
    from psycopg import errors

    with _connect_as(app_role) as conn:
        old_id = conn.execute(
            f"INSERT INTO {AUDIT} (at, actor_label, action, target_type, target_id, target_repr, detail) "  # noqa: S608
            "VALUES (now() - interval '400 days', 'app', 'test.old', '', '', 'kept', '{\"reason\": \"x\"}'::jsonb) RETURNING id"
        ).fetchone()[0]
        conn.execute(f"UPDATE {AUDIT} SET detail = '{{\"purged\": true}}'::jsonb WHERE id = %s", [old_id])  # noqa: S608
        assert conn.execute(f"SELECT detail FROM {AUDIT} WHERE id = %s", [old_id]).fetchone() == ({"purged": True},)  # noqa: S608
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f'UPDATE {AUDIT} SET detail = \'{{"reason": "y"}}\'::jsonb WHERE id = %s', [old_id])  # noqa: S608
