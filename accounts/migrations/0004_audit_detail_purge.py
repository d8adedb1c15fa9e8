"""On PostgreSQL the audit log stays append-only, with one narrow exception: the retention
job may replace an entry's ``detail`` by the purge marker once the entry is at least a year
old, every other column unchanged (accounts.services.audit_details_purge). DELETE is still
refused for every row, and so is any other UPDATE. Other databases: no-op."""

from django.db import migrations

TABLE = "accounts_auditentry"

CREATE = f"""
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

BACK = f"""
DROP TRIGGER IF EXISTS accounts_auditentry_update_purge_only ON {TABLE};
DROP FUNCTION IF EXISTS accounts_auditentry_detail_purge_only();
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON {TABLE};
CREATE TRIGGER accounts_auditentry_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_auditentry_append_only();
"""


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACK)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
