"""Reads of the portal shell: health of the database, the broker and the workers."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from .models import WorkerHeartbeat

HEARTBEAT_FRESH = timedelta(minutes=3)


def health_status() -> dict:
    """Database and broker status, plus the last time a worker ran the health task."""
    result: dict = {"database": "ok", "broker": "ok", "worker": "unknown", "last_worker_beat": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = WorkerHeartbeat.objects.filter(name="default").first()
        if beat is not None:
            result["last_worker_beat"] = beat.beat_at.isoformat()
            result["worker"] = "ok" if timezone.now() - beat.beat_at < HEARTBEAT_FRESH else "stale"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result["database"] = f"error: {type(exc).__name__}"
    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel  # noqa: B018 - opening a channel really talks to the broker
    except Exception as exc:  # noqa: BLE001
        result["broker"] = f"error: {type(exc).__name__}"
    result["broker_transport"] = settings.CELERY_BROKER_URL.split(":", 1)[0]
    result["ok"] = result["database"] == "ok" and result["broker"] == "ok"
    return result
