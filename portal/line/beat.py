"""Periodic jobs of the LINE layer (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

SCHEDULE: dict[str, dict[str, Any]] = {
    # Webhook events stored but not yet processed (a lost task) are enqueued again.
    "line-requeue-pending": {"task": "line.requeue_pending", "schedule": 60.0},
}
