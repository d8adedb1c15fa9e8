"""Writes of the portal shell."""

from datetime import datetime

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_touch(*, name: str, hostname: str = "") -> datetime:
    """Record that ``name`` (``"beat"`` sent the health task, ``"worker"`` ran it) is alive."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": now, "hostname": hostname[:200]})
    return now
