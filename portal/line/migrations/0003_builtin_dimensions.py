"""年代, 地域 and 関心分野 as the first three dimensions (their storage stays where it is;
``portal.line.dimensions`` re-creates any that is missing, e.g. after a test database flush)."""

from django.db import migrations

BUILTINS = [("age", "年代", 10, "single"), ("area", "地域", 20, "single"), ("interest", "関心分野", 30, "multiple")]


def builtin_dimensions(apps, schema_editor):  # noqa: ANN001, ANN201
    Dimension = apps.get_model("line", "Dimension")
    for builtin, name, order, kind in BUILTINS:
        Dimension.objects.get_or_create(builtin=builtin, defaults={"name": name, "order": order, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("line", "0002_resident_counts")]

    operations = [migrations.RunPython(builtin_dimensions, migrations.RunPython.noop)]
