"""Periodic jobs of intake.roads (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

SCHEDULE: dict[str, dict[str, Any]] = {
    # Re-enqueue residents' photos still waiting for LINE's content endpoint.
    "roads-requeue-pending-photos": {"task": "roads.requeue_pending_photos", "schedule": 600.0},
}
