"""Shell tasks: the health heartbeat."""

from celery import shared_task

from .services import heartbeat_touch


@shared_task(name="portal.health_beat")
def health_beat() -> str:
    return heartbeat_touch(hostname=health_beat.request.hostname or "").isoformat()
