"""On PostgreSQL the database itself keeps the audit log append-only, with one narrow exception.

The application already refuses updates and deletes (AuditEntry / its queryset); the triggers
also stop raw SQL and any other client of the database. DELETE is refused for every row
(TRUNCATE stays allowed: test-database flushes use it, and it needs table ownership anyway).
UPDATE is refused too, except the retention job's: replacing an entry's ``detail`` by the
purge marker once the entry is at least a year old, every other column unchanged
(accounts.services.audit_details_purge). Other databases: no-op."""

from django.db import migrations

TABLE = "accounts_auditentry"

CREATE = f"""
CREATE OR REPLACE FUNCTION accounts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION accounts_auditentry_detail_purge_only() RETURNS trigger AS $$
BEGIN
    IF NEW.detail = '{{"purged": true}}'::jsonb
       AND OLD.at < now() - interval '365 days'
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_label, NEW.action, NEW.target_type, NEW.target_id,
            NEW.target_repr, NEW.ip)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.actor_label, OLD.action, OLD.target_type, OLD.target_id,
            OLD.target_repr, OLD.ip)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON {TABLE};
CREATE TRIGGER accounts_auditentry_append_only
    BEFORE DELETE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_auditentry_append_only();
DROP TRIGGER IF EXISTS accounts_auditentry_update_purge_only ON {TABLE};
CREATE TRIGGER accounts_auditentry_update_purge_only
    BEFORE UPDATE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION accounts_auditentry_detail_purge_only();
"""

DROP = f"""
DROP TRIGGER IF EXISTS accounts_auditentry_update_purge_only ON {TABLE};
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS accounts_auditentry_detail_purge_only();
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
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
