"""The LINE platform layer: client, emulator, webhook, residents, chat flows."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "portal.line"
    label = "line"
    verbose_name = _("LINE連携")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import chat
        from .flows import PreferencesFlow, ShowPreferencesFlow

        chat.register_flow(PreferencesFlow(), priority=50)
        chat.register_flow(ShowPreferencesFlow(), priority=50)

        from portal import demo

        from .demo import load_demo

        demo.register(20, "line", load_demo)
