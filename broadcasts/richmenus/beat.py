"""Periodic jobs of rich menus (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

SCHEDULE: dict[str, dict[str, Any]] = {
    # Bulk link/unlink jobs with a batch nobody holds (a killed worker's) are picked up again.
    "richmenus-resume-link-jobs": {"task": "richmenus.resume_link_jobs", "schedule": 60.0},
    # Residents whose follow task was lost (marked pending longer than 10 minutes).
    "richmenus-resume-follows": {"task": "richmenus.resume_follows", "schedule": 300.0},
    # Menus the portal has as on LINE but LINE has not (the demo's; one deleted elsewhere).
    "richmenus-sync-line": {"task": "richmenus.sync_line", "schedule": 60.0},
}
