"""The LINE platform layer: client, emulator, webhook, residents, chat flows."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "portal.line"
    label = "line"
    verbose_name = _("LINE連携")
    default_auto_field = "django.db.models.BigAutoField"
