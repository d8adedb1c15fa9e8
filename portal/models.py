"""The worker heartbeat that /healthz reads to show a worker executes tasks, and the abstract
model shared by the apps' staff-maintained lists."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row, touched by the ``portal.health_beat`` task each time a worker runs it."""

    name = models.CharField(max_length=50, unique=True, default="default")
    beat_at = models.DateTimeField(default=timezone.now)
    hostname = models.CharField(max_length=200, blank=True)


class OrderedActive(models.Model):
    """An entry of a list staff maintain (areas, interests, categories, items …): shown in
    表示順, and switched off with 有効 rather than deleted, so rows that refer to it keep it.
    A model may redefine ``is_active`` for its own label; a model's own ``Meta`` subclasses
    ``OrderedActive.Meta`` to keep the ordering."""

    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]
