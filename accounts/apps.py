"""Staff accounts, roles, MFA policy and the audit log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("職員アカウント")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal import demo

        from . import signals  # noqa: F401
        from .demo import load_demo_staff

        demo.register(0, "staff", load_demo_staff)
