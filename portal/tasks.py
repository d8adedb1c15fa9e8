"""Shell tasks: the health heartbeat."""

from celery import shared_task
from celery.signals import after_task_publish

from .services import heartbeat_touch


@shared_task(name="portal.health_beat", ignore_result=True, expires=120)
def health_beat() -> str:
    """Sent by beat once a minute; the worker that runs it records its last-seen time."""
    return heartbeat_touch(name="worker", hostname=health_beat.request.hostname or "").isoformat()


@after_task_publish.connect(sender="portal.health_beat", dispatch_uid="portal.health_beat.sent")
def _health_beat_sent(**_kwargs: object) -> None:
    # Only beat sends this task (no request does): sending it is beat's heartbeat.
    heartbeat_touch(name="beat")


@shared_task(name="portal.purge_personal_data")
def purge_personal_data() -> dict:
    """Hourly: every registered store of residents' personal data past its period (portal/retention.py)."""
    from . import retention

    return retention.purge_all()
