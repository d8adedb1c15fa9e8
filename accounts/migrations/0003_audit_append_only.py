"""On PostgreSQL, the database itself refuses UPDATE and DELETE on the audit log.

The application already refuses them (AuditEntry / its queryset); the trigger also stops
raw SQL and any other client of the database. TRUNCATE stays allowed (test-database
flushes use it; it needs table ownership anyway). Other databases: no-op."""

from django.db import migrations

TABLE = "accounts_auditentry"

CREATE = f"""
CREATE OR REPLACE FUNCTION accounts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON {TABLE};
CREATE TRIGGER accounts_auditentry_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_auditentry_append_only();
"""

DROP = f"""
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS accounts_auditentry_append_only();
"""


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no params: '%' in RAISE is literal
            cursor.execute(CREATE)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
