"""Reads of the portal shell: health of the database, the broker, beat and the workers."""

import contextlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from kombu import Connection

from .models import WorkerHeartbeat

# Beat sends the health task every minute (HEALTH_BEAT_SECONDS); three missed minutes = stale.
HEARTBEAT_FRESH = timedelta(minutes=3)
BEAT = "beat"
WORKER = "worker"
CACHE_KEY = "portal:healthz"


def _freshness(at) -> str:
    if at is None:
        return "unknown"
    return "ok" if timezone.now() - at < HEARTBEAT_FRESH else "stale"


def health_status() -> dict:
    """Database and broker status, when beat last sent the health task and when a worker
    last ran it. Only reads: nothing is enqueued."""
    result: dict = {
        "database": "ok",
        "broker": "ok",
        "beat": "unknown",
        "last_beat_at": None,
        "worker": "unknown",
        "last_worker_seen_at": None,
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = dict(WorkerHeartbeat.objects.filter(name__in=[BEAT, WORKER]).values_list("name", "beat_at"))
        for name in (BEAT, WORKER):
            at = beats.get(name)
            result[name] = _freshness(at)
            result["last_beat_at" if name == BEAT else "last_worker_seen_at"] = at.isoformat() if at else None
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


def health_status_cached() -> dict:
    """``health_status()``, computed at most once per HEALTHZ_CACHE_SECONDS (shared cache):
    a load balancer polling every web process costs the database and broker little."""
    seconds = settings.HEALTHZ_CACHE_SECONDS
    try:
        cached = cache.get(CACHE_KEY)
    except Exception:  # noqa: BLE001 - the database cache is down with the database
        cached = None
    if cached is not None:
        return cached
    status = health_status()
    status["checked_at"] = timezone.now().isoformat()
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY, status, seconds)
    return status
