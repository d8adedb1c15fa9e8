"""Staff accounts, roles, MFA policy and the audit log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("職員アカウント")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal import demo, navigation

        from . import signals  # noqa: F401
        from .dashboard import audit_cards, staff_cards
        from .demo import load_demo_staff
        from .roles import Perm

        demo.register(0, "staff", load_demo_staff)
        navigation.register(
            navigation.NavItem(label=_("職員管理"), url_name="accounts:staff_list", permission=Perm.MANAGE_STAFF, order=900),
            navigation.NavItem(label=_("監査ログ"), url_name="accounts:audit_log", permission=Perm.VIEW_AUDIT_LOG, order=910),
        )
        navigation.register_dashboard(Perm.MANAGE_STAFF, staff_cards)
        _register_retention()
        navigation.register_dashboard(Perm.VIEW_AUDIT_LOG, audit_cards)


def _register_retention() -> None:
    from portal import retention

    from . import services

    retention.register(
        retention.Store(
            key="accounts.audit_details",
            label=_("監査ログの詳細"),
            holds=_("操作の詳細（住民照会で入力した照会理由、対象の住民番号、変更前後の値など）"),
            action=_(
                "期間を過ぎた記録は、日時・実行者・操作・対象・接続元IPを残し、詳細だけを消去します"
                "（記録そのものは削除しません）。"
            ),
            period_days=services.audit_detail_retention_days,
            purge=services.audit_details_purge,
        )
    )
