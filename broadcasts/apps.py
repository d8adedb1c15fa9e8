"""Segmented broadcasts: compose, approve, fan out."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BroadcastsConfig(AppConfig):
    name = "broadcasts"
    label = "broadcasts"
    verbose_name = _("配信")
    default_auto_field = "django.db.models.BigAutoField"
