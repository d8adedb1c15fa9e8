"""The Q&A base's capabilities (intake.questions): よくある質問の編集・公開 for 広報担当, ごみ分別辞書
の管理 for 廃棄物担当, reading both for admins, approvers and auditors (accounts/roles.py)."""

from django.db import migrations

NEW = ("manage_faq", "manage_gomi", "view_questions")


def grant(apps, schema_editor):  # noqa: ANN001, ANN201
    from django.contrib.auth.management import create_permissions

    from accounts.roles import ROLE_CAPABILITIES

    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for code, codenames in ROLE_CAPABILITIES.items():
        wanted = [c for c in codenames if c in NEW]
        group = Group.objects.filter(name=code).first()
        if group is not None and wanted:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=wanted))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_detail_purge"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="capability",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("manage_staff", "職員・ロールの管理"),
                    ("manage_settings", "システム設定の管理"),
                    ("view_audit_log", "監査ログの閲覧"),
                    ("lookup_resident", "住民の個別照会"),
                    ("view_audience", "配信対象者数の閲覧"),
                    ("compose_broadcast", "配信の作成"),
                    ("approve_broadcast", "配信の承認"),
                    ("view_broadcasts", "配信履歴の閲覧"),
                    ("triage_road_reports", "道路損傷通報の対応"),
                    ("review_bulky_bookings", "粗大ごみ申込の審査"),
                    ("manage_bulky_catalogue", "粗大ごみ品目・収集日の設定"),
                    ("manage_faq", "よくある質問（Q&A）の編集・公開"),
                    ("manage_gomi", "ごみ分別辞書の管理"),
                    ("view_questions", "よくある質問・ごみ分別辞書の閲覧"),
                ],
                "verbose_name": "権限",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
