"""Road-damage reports from residents."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadsConfig(AppConfig):
    name = "intake.roads"
    label = "roads"
    verbose_name = _("道路損傷通報")
    default_auto_field = "django.db.models.BigAutoField"
