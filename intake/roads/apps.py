"""Road-damage reports from residents."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadsConfig(AppConfig):
    name = "intake.roads"
    label = "roads"
    verbose_name = _("道路損傷通報")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from accounts.audit import register_actions, register_target_types
        from accounts.roles import Perm
        from portal import demo, navigation, retention

        from . import chat, dashboard, demo_data, services

        chat.register()
        from portal.line import richmenus

        richmenus.register_postback(key="road", label=_("道路の通報"), data="flow=road&action=start", display_text=_("通報"))
        register_actions(services.AUDIT_LABELS)
        register_target_types(
            {
                "roads.roadreport": _("道路通報"),
                "roads.reportphoto": _("道路通報の写真"),
                "roads.category": _("通報種別"),
                "roads.team": _("担当班"),
                "roads.responsetemplate": _("返信テンプレート"),
                "roads.apikey": _("Open311 APIキー"),
            }
        )
        retention.register(
            retention.Store(
                key="roads.reports",
                label=_("道路通報"),
                holds=_("住民との紐付け（LINE）、住民が入力した住所・目印とコメント、追加連絡の本文、住民の写真（元画像を含む）"),
                action=_(
                    "完了・対応不可・重複で終了してから（未完了のまま更新がない通報は最後の更新から）保持期間が過ぎた通報の、"
                    "住民との紐付け・住所・コメント・追加連絡の本文・写真の位置情報と、職員の内部メモ・住民への連絡文を消去し、住民の写真（元画像と表示用の複製）を削除。"
                    "種別・場所・状態・経過は統計のため残す"
                ),
                period_days=lambda: settings.RETENTION_ROAD_REPORT_DAYS,
                purge=services.reports_purge_personal_data,
            )
        )
        retention.register(
            retention.Store(
                key="roads.unsent_photos",
                label=_("通報にならなかった写真"),
                holds=_("通報を途中でやめた住民が送った写真（元画像と表示用の複製）"),
                action=_("受け取ってから保持期間が過ぎても通報にならなかった写真を、元画像・複製ごと削除"),
                period_days=lambda: settings.RETENTION_ROAD_UNSENT_PHOTO_DAYS,
                purge=services.photos_orphans_purge,
            )
        )
        navigation.register(
            navigation.NavItem(_("道路通報"), "roads:queue", Perm.TRIAGE_ROAD_REPORTS, order=40),
            navigation.NavItem(_("道路通報の統計"), "roads:stats", Perm.TRIAGE_ROAD_REPORTS, order=41),
            navigation.NavItem(_("Open311 APIキー"), "roads:api_keys", Perm.MANAGE_SETTINGS, order=90),
            navigation.NavItem(_("道路通報の設定"), "roads:settings_home", Perm.MANAGE_SETTINGS, order=91),
        )
        navigation.register_dashboard(Perm.TRIAGE_ROAD_REPORTS, dashboard.cards)
        demo.register(40, "roads", demo_data.load)
