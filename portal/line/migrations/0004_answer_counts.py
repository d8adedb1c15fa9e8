"""Exact counts with admin-defined dimensions: the answers in the cells (line_answercount).

Each option gets a bit (``line_dimensionoption.bit``, 0–62, the lowest free one, given by a
trigger when the option is inserted and never changed after; none when all 63 are taken);
``line_resident.answer_bits`` holds the bits of the options the resident chose, kept by
triggers on line_residentanswer (set on insert, cleared on delete: a resident has at most one
row per option and an option one bit, so the updates are incremental, and they compose with
concurrent writers: ``answer_bits | x`` is re-evaluated on the row's newest version). The
triggers on line_resident (0002's, replaced) also count reachable residents with some answer
bit per age band × area × interests × answer_bits in line_answercount, the same way as
line_residentcount (signed rows of generation 0, compacted by ``residents.counts_compact``
into rows of a new generation named in line_answercountbase).

A deleted option's bit is cleared from its residents (by its answers' deletion, or by the
option's own trigger when the option goes first), so a freed bit can be given again. TRUNCATE
of the answers clears every answer_bits.

As 0002: a later migration that makes Django rebuild line_resident, line_residentanswer or
line_dimensionoption on SQLite drops their triggers: re-create them after it (``create_triggers``).
"""

import secrets

from django.db import migrations, models

ANSWER_BITS = 63
REACHABLE = "status = 'active' AND NOT segment_opt_out"
# The lowest bit no option holds (NULL when all are taken); the new row itself has none yet.
FREE_BIT = (
    "(SELECT min(c) FROM (SELECT 0 AS c UNION ALL SELECT bit + 1 FROM line_dimensionoption WHERE bit IS NOT NULL) free "
    f"WHERE c < {ANSWER_BITS} AND c NOT IN (SELECT bit FROM line_dimensionoption WHERE bit IS NOT NULL))"
)

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION line_resident_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH changes AS (
            SELECT age_band, area_id, interest_bits, answer_bits, 1 AS d FROM new_rows WHERE {REACHABLE}
        ), cells AS (
            INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
            SELECT age_band, area_id, interest_bits, sum(d) FROM changes GROUP BY 1, 2, 3
        )
        INSERT INTO line_answercount (age_band, area_id, interest_bits, answer_bits, residents)
        SELECT age_band, area_id, interest_bits, answer_bits, sum(d) FROM changes WHERE answer_bits <> 0 GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        WITH changes AS (
            SELECT age_band, area_id, interest_bits, answer_bits, -1 AS d FROM old_rows WHERE {REACHABLE}
        ), cells AS (
            INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
            SELECT age_band, area_id, interest_bits, sum(d) FROM changes GROUP BY 1, 2, 3
        )
        INSERT INTO line_answercount (age_band, area_id, interest_bits, answer_bits, residents)
        SELECT age_band, area_id, interest_bits, answer_bits, sum(d) FROM changes WHERE answer_bits <> 0 GROUP BY 1, 2, 3, 4;
    ELSE
        WITH changes AS (
            SELECT age_band, area_id, interest_bits, answer_bits, 1 AS d FROM new_rows WHERE {REACHABLE}
            UNION ALL
            SELECT age_band, area_id, interest_bits, answer_bits, -1 AS d FROM old_rows WHERE {REACHABLE}
        ), cells AS (
            INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents)
            SELECT age_band, area_id, interest_bits, sum(d) FROM changes GROUP BY 1, 2, 3 HAVING sum(d) <> 0
        )
        INSERT INTO line_answercount (age_band, area_id, interest_bits, answer_bits, residents)
        SELECT age_band, area_id, interest_bits, answer_bits, sum(d) FROM changes WHERE answer_bits <> 0
        GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION line_resident_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM line_residentcount;
    DELETE FROM line_answercount;
    DELETE FROM line_answercountbase;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS line_resident_counts_insert ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_update ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_delete ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_truncate ON line_resident;
CREATE TRIGGER line_resident_counts_insert AFTER INSERT ON line_resident
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_update AFTER UPDATE ON line_resident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_delete AFTER DELETE ON line_resident
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION line_resident_count_changes();
CREATE TRIGGER line_resident_counts_truncate AFTER TRUNCATE ON line_resident
    FOR EACH STATEMENT EXECUTE FUNCTION line_resident_counts_truncated();

CREATE FUNCTION line_answer_bits_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE line_resident r SET answer_bits = r.answer_bits & ~gone.bits
        FROM (
            SELECT a.resident_id, bit_or(1::bigint << o.bit) AS bits
            FROM old_rows a JOIN line_dimensionoption o ON o.id = a.option_id WHERE o.bit IS NOT NULL GROUP BY 1
        ) gone
        WHERE r.id = gone.resident_id AND r.answer_bits & gone.bits <> 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE line_resident r SET answer_bits = r.answer_bits | added.bits
        FROM (
            SELECT a.resident_id, bit_or(1::bigint << o.bit) AS bits
            FROM new_rows a JOIN line_dimensionoption o ON o.id = a.option_id WHERE o.bit IS NOT NULL GROUP BY 1
        ) added
        WHERE r.id = added.resident_id AND r.answer_bits & added.bits <> added.bits;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION line_answer_bits_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE line_resident SET answer_bits = 0 WHERE answer_bits <> 0;
    RETURN NULL;
END $$;
CREATE TRIGGER line_answer_bits_insert AFTER INSERT ON line_residentanswer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_answer_bits_changes();
CREATE TRIGGER line_answer_bits_update AFTER UPDATE ON line_residentanswer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_answer_bits_changes();
CREATE TRIGGER line_answer_bits_delete AFTER DELETE ON line_residentanswer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION line_answer_bits_changes();
CREATE TRIGGER line_answer_bits_truncate AFTER TRUNCATE ON line_residentanswer
    FOR EACH STATEMENT EXECUTE FUNCTION line_answer_bits_truncated();

CREATE FUNCTION line_option_bit_given() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(hashtext('line_dimensionoption.bit'));  -- one choice at a time
        NEW.bit := {FREE_BIT};
    ELSIF OLD.bit IS NOT NULL OR EXISTS (SELECT 1 FROM line_residentanswer WHERE option_id = OLD.id) THEN
        NEW.bit := OLD.bit;  -- a bit in use never changes (Django's save writes back what it loaded)
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION line_option_bit_freed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.bit IS NOT NULL THEN
        UPDATE line_resident SET answer_bits = answer_bits & ~(1::bigint << OLD.bit)
        WHERE id IN (SELECT resident_id FROM line_residentanswer WHERE option_id = OLD.id)
          AND answer_bits & (1::bigint << OLD.bit) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER line_option_bit_insert BEFORE INSERT ON line_dimensionoption
    FOR EACH ROW EXECUTE FUNCTION line_option_bit_given();
CREATE TRIGGER line_option_bit_update BEFORE UPDATE ON line_dimensionoption
    FOR EACH ROW EXECUTE FUNCTION line_option_bit_given();
CREATE TRIGGER line_option_bit_delete AFTER DELETE ON line_dimensionoption
    FOR EACH ROW EXECUTE FUNCTION line_option_bit_freed();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS line_option_bit_insert ON line_dimensionoption;
DROP TRIGGER IF EXISTS line_option_bit_update ON line_dimensionoption;
DROP TRIGGER IF EXISTS line_option_bit_delete ON line_dimensionoption;
DROP FUNCTION IF EXISTS line_option_bit_given();
DROP FUNCTION IF EXISTS line_option_bit_freed();
DROP TRIGGER IF EXISTS line_answer_bits_insert ON line_residentanswer;
DROP TRIGGER IF EXISTS line_answer_bits_update ON line_residentanswer;
DROP TRIGGER IF EXISTS line_answer_bits_delete ON line_residentanswer;
DROP TRIGGER IF EXISTS line_answer_bits_truncate ON line_residentanswer;
DROP FUNCTION IF EXISTS line_answer_bits_changes();
DROP FUNCTION IF EXISTS line_answer_bits_truncated();
DROP TRIGGER IF EXISTS line_resident_counts_insert ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_update ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_delete ON line_resident;
DROP TRIGGER IF EXISTS line_resident_counts_truncate ON line_resident;
DROP FUNCTION IF EXISTS line_resident_count_changes();
DROP FUNCTION IF EXISTS line_resident_counts_truncated();
"""


def _reachable(row: str) -> str:
    return f"{row}.status = 'active' AND NOT {row}.segment_opt_out"


def _answered(row: str) -> str:
    return f"{_reachable(row)} AND {row}.answer_bits <> 0"


def _same_cell() -> str:
    return "NEW.age_band IS OLD.age_band AND NEW.area_id IS OLD.area_id AND NEW.interest_bits IS OLD.interest_bits"


def _same_answer_cell() -> str:
    return f"{_same_cell()} AND NEW.answer_bits IS OLD.answer_bits"


def _add(row: str, sign: str) -> str:
    return (
        "INSERT INTO line_residentcount (age_band, area_id, interest_bits, residents) "
        f"VALUES ({row}.age_band, {row}.area_id, {row}.interest_bits, {sign}1);"
    )


def _add_answer(row: str, sign: str) -> str:
    return (
        "INSERT INTO line_answercount (age_band, area_id, interest_bits, answer_bits, residents) "
        f"VALUES ({row}.age_band, {row}.area_id, {row}.interest_bits, {row}.answer_bits, {sign}1);"
    )


def _option_mask(row: str) -> str:
    return f"(SELECT CAST(1 AS BIGINT) << bit FROM line_dimensionoption WHERE id = {row}.option_id AND bit IS NOT NULL)"


def _clear(row: str) -> str:
    mask = _option_mask(row)
    return (
        f"UPDATE line_resident SET answer_bits = answer_bits & ~{mask} "
        f"WHERE id = {row}.resident_id AND {mask} IS NOT NULL AND answer_bits & {mask} <> 0;"
    )


def _set(row: str) -> str:
    mask = _option_mask(row)
    return (
        f"UPDATE line_resident SET answer_bits = answer_bits | {mask} "
        f"WHERE id = {row}.resident_id AND {mask} IS NOT NULL AND answer_bits & {mask} = 0;"
    )


SQLITE_RESIDENT_TRIGGERS = [
    f"CREATE TRIGGER line_resident_counts_insert AFTER INSERT ON line_resident WHEN {_reachable('NEW')} "
    f"BEGIN {_add('NEW', '')} END",
    f"CREATE TRIGGER line_resident_counts_delete AFTER DELETE ON line_resident WHEN {_reachable('OLD')} "
    f"BEGIN {_add('OLD', '-')} END",
    f"CREATE TRIGGER line_resident_counts_update_old AFTER UPDATE ON line_resident "
    f"WHEN {_reachable('OLD')} AND NOT ({_reachable('NEW')} AND {_same_cell()}) BEGIN {_add('OLD', '-')} END",
    f"CREATE TRIGGER line_resident_counts_update_new AFTER UPDATE ON line_resident "
    f"WHEN {_reachable('NEW')} AND NOT ({_reachable('OLD')} AND {_same_cell()}) BEGIN {_add('NEW', '')} END",
]
SQLITE_CREATE = [
    *SQLITE_RESIDENT_TRIGGERS,
    f"CREATE TRIGGER line_answer_counts_insert AFTER INSERT ON line_resident WHEN {_answered('NEW')} "
    f"BEGIN {_add_answer('NEW', '')} END",
    f"CREATE TRIGGER line_answer_counts_delete AFTER DELETE ON line_resident WHEN {_answered('OLD')} "
    f"BEGIN {_add_answer('OLD', '-')} END",
    f"CREATE TRIGGER line_answer_counts_update_old AFTER UPDATE ON line_resident "
    f"WHEN {_answered('OLD')} AND NOT ({_answered('NEW')} AND {_same_answer_cell()}) BEGIN {_add_answer('OLD', '-')} END",
    f"CREATE TRIGGER line_answer_counts_update_new AFTER UPDATE ON line_resident "
    f"WHEN {_answered('NEW')} AND NOT ({_answered('OLD')} AND {_same_answer_cell()}) BEGIN {_add_answer('NEW', '')} END",
    f"CREATE TRIGGER line_answer_bits_insert AFTER INSERT ON line_residentanswer BEGIN {_set('NEW')} END",
    f"CREATE TRIGGER line_answer_bits_delete AFTER DELETE ON line_residentanswer BEGIN {_clear('OLD')} END",
    f"CREATE TRIGGER line_answer_bits_update AFTER UPDATE ON line_residentanswer BEGIN {_clear('OLD')} {_set('NEW')} END",
    # SQLite cannot assign NEW in a BEFORE trigger: the bit is given right after the insert
    # (no answer can refer to the option yet), and an UPDATE that would change a bit in use
    # is undone.
    f"CREATE TRIGGER line_option_bit_insert AFTER INSERT ON line_dimensionoption "
    f"BEGIN UPDATE line_dimensionoption SET bit = {FREE_BIT} WHERE id = NEW.id; END",
    "CREATE TRIGGER line_option_bit_update AFTER UPDATE OF bit ON line_dimensionoption "
    "WHEN NEW.bit IS NOT OLD.bit AND (OLD.bit IS NOT NULL OR EXISTS (SELECT 1 FROM line_residentanswer WHERE option_id = OLD.id)) "
    "BEGIN UPDATE line_dimensionoption SET bit = OLD.bit WHERE id = NEW.id; END",
    "CREATE TRIGGER line_option_bit_delete AFTER DELETE ON line_dimensionoption WHEN OLD.bit IS NOT NULL "
    "BEGIN UPDATE line_resident SET answer_bits = answer_bits & ~(CAST(1 AS BIGINT) << OLD.bit) "
    "WHERE id IN (SELECT resident_id FROM line_residentanswer WHERE option_id = OLD.id); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "line_resident_counts_insert",
        "line_resident_counts_delete",
        "line_resident_counts_update_old",
        "line_resident_counts_update_new",
        "line_answer_counts_insert",
        "line_answer_counts_delete",
        "line_answer_counts_update_old",
        "line_answer_counts_update_new",
        "line_answer_bits_insert",
        "line_answer_bits_delete",
        "line_answer_bits_update",
        "line_option_bit_insert",
        "line_option_bit_update",
        "line_option_bit_delete",
    )
]

# Existing rows (none in a fresh database): bits for the options (oldest first), the
# residents' answer_bits, their cells.
BACKFILL = [
    f"""
    UPDATE line_dimensionoption SET bit = (
        SELECT n FROM (SELECT id, (SELECT count(*) FROM line_dimensionoption o2 WHERE o2.id < o1.id) AS n
                       FROM line_dimensionoption o1) ranked
        WHERE ranked.id = line_dimensionoption.id AND n < {ANSWER_BITS}
    )
    """,
    """
    UPDATE line_resident SET answer_bits = COALESCE((
        SELECT sum(CAST(1 AS BIGINT) << o.bit) FROM line_residentanswer a JOIN line_dimensionoption o ON o.id = a.option_id
        WHERE a.resident_id = line_resident.id AND o.bit IS NOT NULL
    ), 0)
    WHERE id IN (SELECT resident_id FROM line_residentanswer)
    """,
    # Already one row per cell: a compacted generation (residents.counts_compact), so the
    # rows added by changes (generation 0) start few.
    f"""
    INSERT INTO line_answercount (age_band, area_id, interest_bits, answer_bits, residents, generation)
    SELECT age_band, area_id, interest_bits, answer_bits, count(*), %(generation)s FROM line_resident
    WHERE {REACHABLE} AND answer_bits <> 0 GROUP BY age_band, area_id, interest_bits, answer_bits
    """,
    """
    INSERT INTO line_answercountbase (id, generation, cells)
    SELECT 1, %(generation)s, count(*) FROM line_answercount WHERE generation = %(generation)s
    """,
]


def create_triggers(apps, schema_editor) -> None:  # noqa: ANN001
    postgres = schema_editor.connection.vendor == "postgresql"
    # Residents' triggers first dropped (on SQLite the AddField above rebuilt the table
    # without them), so the backfill's UPDATE does not count its residents twice.
    for sql in [PG_DROP] if postgres else SQLITE_DROP:
        schema_editor.execute(sql)
    generation = secrets.randbits(62) + 1  # as residents.counts_compact: never one a process has seen
    for sql in BACKFILL:
        schema_editor.execute(sql, {"generation": generation} if "%(generation)s" in sql else None)
    for sql in [PG_CREATE] if postgres else SQLITE_CREATE:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor) -> None:  # noqa: ANN001
    for sql in [PG_DROP] if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(sql)


def restore_resident_triggers(apps, schema_editor) -> None:  # noqa: ANN001
    """Backwards (after the columns are gone): 0002's triggers, without its backfill (the
    counts in line_residentcount are still right)."""
    import importlib

    counts = importlib.import_module("portal.line.migrations.0002_resident_counts")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(counts.PG_DROP)
        schema_editor.execute(counts.PG_CREATE)
    else:
        for sql in [*counts.SQLITE_DROP, *counts.SQLITE_CREATE]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("line", "0003_builtin_dimensions")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_resident_triggers),
        migrations.AddField(
            model_name="resident",
            name="answer_bits",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="dimensionoption",
            name="bit",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="dimensionoption",
            constraint=models.UniqueConstraint(
                condition=models.Q(bit__isnull=False), fields=("bit",), name="dimension_option_bit_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="dimensionoption",
            constraint=models.CheckConstraint(condition=models.Q(bit__lte=62), name="dimension_option_bit_range"),
        ),
        migrations.CreateModel(
            name="AnswerCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("age_band", models.CharField(blank=True, max_length=8)),
                ("area_id", models.BigIntegerField(null=True)),
                ("interest_bits", models.BigIntegerField(default=0)),
                ("answer_bits", models.BigIntegerField()),
                ("residents", models.BigIntegerField()),
                ("generation", models.BigIntegerField(db_default=0, default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["generation"], name="answer_count_generation_idx")],
            },
        ),
        migrations.CreateModel(
            name="AnswerCountBase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("generation", models.BigIntegerField()),
                ("cells", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
