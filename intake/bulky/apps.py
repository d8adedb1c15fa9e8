"""Bulky-garbage collection bookings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkyConfig(AppConfig):
    name = "intake.bulky"
    label = "bulky"
    verbose_name = _("粗大ごみ収集")
    default_auto_field = "django.db.models.BigAutoField"
