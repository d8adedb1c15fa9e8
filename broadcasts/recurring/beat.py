"""Periodic jobs of recurring broadcasts (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

SCHEDULE: dict[str, dict[str, Any]] = {
    # Each due occurrence of a running series, recorded and sent once (services.occurrences_run);
    # a run that overlaps another, or a second beat process, sends nothing twice.
    "recurring-run-due": {"task": "recurring.run_due", "schedule": 60.0},
}
