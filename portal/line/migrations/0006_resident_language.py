"""Resident.language: the language chosen in 受信設定 (blank: not chosen).

A plain ``ALTER TABLE … ADD COLUMN … DEFAULT ''`` on both databases: on SQLite Django adds a
NOT NULL column by rebuilding the table, which would drop the resident-count triggers of
0005, and on PostgreSQL it drops the default afterwards, which raw-SQL writers rely on."""

from django.db import migrations, models

FIELD = models.CharField(
    blank=True,
    choices=[
        ("ja", "日本語"),
        ("ja-easy", "やさしい日本語"),
        ("en", "English"),
        ("zh", "中文"),
        ("ko", "한국어"),
        ("vi", "Tiếng Việt"),
    ],
    default="",
    max_length=8,
    verbose_name="言語",
)


def add_column(apps, schema_editor) -> None:
    # The database keeps the default: rows written by raw SQL (seed_demo's COPY, the
    # resident-count tests) name no language.
    schema_editor.execute("ALTER TABLE line_resident ADD COLUMN language varchar(8) NOT NULL DEFAULT ''")


def drop_column(apps, schema_editor) -> None:
    resident = apps.get_model("line", "Resident")
    schema_editor.remove_field(resident, resident._meta.get_field("language"))


class Migration(migrations.Migration):
    dependencies = [("line", "0005_resident_counts")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_column, drop_column)],
            state_operations=[migrations.AddField(model_name="resident", name="language", field=FIELD)],
        )
    ]
