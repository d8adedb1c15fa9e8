"""Shell tasks: the health heartbeat."""

from celery import shared_task

from .services import heartbeat_touch


@shared_task(name="portal.health_beat")
def health_beat() -> str:
    return heartbeat_touch(hostname=health_beat.request.hostname or "").isoformat()


@shared_task(name="portal.purge_personal_data")
def purge_personal_data() -> dict:
    """Hourly: every registered store of residents' personal data past its period (portal/retention.py)."""
    from . import retention

    return retention.purge_all()
