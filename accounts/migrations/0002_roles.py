"""Create the six staff roles as groups with their permissions, and their policies."""

from django.db import migrations


def sync_role_permissions(apps, schema_editor):  # noqa: ANN001, ANN201
    from django.contrib.auth.management import create_permissions

    from accounts.roles import ROLE_CAPABILITIES, ADMIN

    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    RolePolicy = apps.get_model("accounts", "RolePolicy")
    for code, codenames in ROLE_CAPABILITIES.items():
        group, _ = Group.objects.get_or_create(name=code)
        perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        group.permissions.set(perms)
        RolePolicy.objects.get_or_create(group=group, defaults={"mfa_required": code == ADMIN})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
