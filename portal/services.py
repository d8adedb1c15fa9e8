"""Writes of the portal shell."""

from datetime import datetime

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_touch(*, hostname: str = "") -> datetime:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name="default", defaults={"beat_at": now, "hostname": hostname[:200]})
    return now
