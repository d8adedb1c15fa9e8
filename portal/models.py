"""The worker heartbeat that /healthz reads to show a worker executes tasks."""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """One row, touched by the ``portal.health_beat`` task each time a worker runs it."""

    name = models.CharField(max_length=50, unique=True, default="default")
    beat_at = models.DateTimeField(default=timezone.now)
    hostname = models.CharField(max_length=200, blank=True)
