"""Periodic jobs of broadcasts (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

from django.conf import settings

SCHEDULE: dict[str, dict[str, Any]] = {
    # Start 予約済 broadcasts whose time has come (the task only enqueues; start is idempotent).
    "broadcasts-start-due": {"task": "broadcasts.start_due", "schedule": 30.0},
    # Batches whose lease expired (a killed worker's) and work nobody touched are re-enqueued
    # (BROADCAST_SWEEP_SECONDS, BROADCAST_STALE_BATCH_SECONDS).
    "broadcasts-requeue-stale": {"task": "broadcasts.requeue_stale", "schedule": settings.BROADCAST_SWEEP_SECONDS},
    # A new differentially private release of the reach cells when one is due (broadcasts/PRIVACY.md).
    "broadcasts-refresh-reach-cells": {"task": "broadcasts.refresh_reach_cells", "schedule": 60.0},
    # LINE's statistics of broadcasts sent in the last 14 days and friends per day, within
    # the insight endpoints' 60 an hour (results.py).
    "broadcasts-fetch-results": {"task": "broadcasts.fetch_results", "schedule": 300.0},
    "broadcasts-audit-estimate-usage": {"task": "broadcasts.audit_estimate_usage", "schedule": 3600.0},
}
