"""Periodic jobs of the LINE layer (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

SCHEDULE: dict[str, dict[str, Any]] = {
    # Webhook events stored but not yet processed (a lost task) are enqueued again.
    "line-requeue-pending": {"task": "line.requeue_pending", "schedule": 60.0},
    # The exact resident counts of the 50-recipient check: one row per cell again.
    "line-resident-counts-compact": {"task": "line.resident_counts_compact", "schedule": 60.0},
}
