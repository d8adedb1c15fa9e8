"""Exact counts of reachable residents per cell (line_residentcount), kept by triggers on line_resident.

PostgreSQL: statement-level AFTER triggers with transition tables, so a bulk write (COPY,
set-based UPDATE) adds one row per cell it changed, not one per resident; TRUNCATE empties
the counts. SQLite: row-level triggers. Each write adds signed rows in its own transaction
(no shared counter row, so concurrent writers never wait on each other); the count is the
sum of the rows of the matching cells. The backfill counts residents already there (none in
a fresh database; it keeps the migration correct wherever it runs).

A later migration that makes Django rebuild line_resident on SQLite (most AlterField / a NOT
NULL AddField) drops these triggers: re-create them after it (``create_triggers``).
"""

from django.db import migrations

REACHABLE = "status = 'active' AND NOT segment_opt_out"

PG_CREATE = f"""
CREATE FUNCTION line_resident_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
        SELECT age_band, area_id, interest_bits, count(*) FROM new_rows WHERE {REACHABLE} GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
        SELECT age_band, area_id, interest_bits, -count(*) FROM old_rows WHERE {REACHABLE} GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
        SELECT age_band, area_id, interest_bits, sum(d) FROM (
            SELECT age_band, area_id, interest_bits, 1 AS d FROM new_rows WHERE {REACHABLE}
            UNION ALL
            SELECT age_band, area_id, interest_bits, -1 AS d FROM old_rows WHERE {REACHABLE}
        ) changes GROUP BY 1, 2, 3 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION line_resident_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM line_residentcount;
    RETURN NULL;
END $$;
CREATE TRIGGER line_resident_counts_insert AFTER INSERT ON line_resident
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_update AFTER UPDATE ON line_resident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_delete AFTER DELETE ON line_resident
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_truncate AFTER TRUNCATE ON line_resident
    FOR EACH STATEMENT EXECUTE FUNCTION line_resident_counts_truncated();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS line_resident_counts_insert ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_update ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_delete ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_truncate ON line_resident;
DROP FUNCTION IF EXISTS line_resident_count_changes();
DROP FUNCTION IF EXISTS line_resident_counts_truncated();
"""


def _reachable(row: str) -> str:
    return f"{row}.status = 'active' AND NOT {row}.segment_opt_out"


def _same_cell() -> str:
    return "NEW.age_band IS OLD.age_band AND NEW.area_id IS OLD.area_id AND NEW.interest_bits IS OLD.interest_bits"


def _add(row: str, sign: str) -> str:
    return (
        "INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents) "
        f"VALUES ({row}.age_band, {row}.area_id, {row}.interest_bits, {sign}1);"
    )


SQLITE_CREATE = [
    f"CREATE TRIGGER line_resident_counts_insert AFTER INSERT ON line_resident WHEN {_reachable('NEW')} "
    f"BEGIN {_add('NEW', '')} END",
    f"CREATE TRIGGER line_resident_counts_delete AFTER DELETE ON line_resident WHEN {_reachable('OLD')} "
    f"BEGIN {_add('OLD', '-')} END",
    f"CREATE TRIGGER line_resident_counts_update_old AFTER UPDATE ON line_resident "
    f"WHEN {_reachable('OLD')} AND NOT ({_reachable('NEW')} AND {_same_cell()}) BEGIN {_add('OLD', '-')} END",
    f"CREATE TRIGGER line_resident_counts_update_new AFTER UPDATE ON line_resident "
    f"WHEN {_reachable('NEW')} AND NOT ({_reachable('OLD')} AND {_same_cell()}) BEGIN {_add('NEW', '')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "line_resident_counts_insert",
        "line_resident_counts_delete",
        "line_resident_counts_update_old",
        "line_resident_counts_update_new",
    )
]

BACKFILL = f"""
INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
SELECT age_band, area_id, interest_bits, count(*) FROM line_resident WHERE {REACHABLE} GROUP BY age_band, area_id, interest_bits
"""


def create_triggers(apps, schema_editor) -> None:
    statements = [PG_CREATE] if schema_editor.connection.vendor == "postgresql" else SQLITE_CREATE
    for sql in [*statements, BACKFILL]:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor) -> None:
    statements = [PG_DROP] if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("line", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
