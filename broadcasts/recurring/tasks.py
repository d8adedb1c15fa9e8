"""Celery tasks of recurring broadcasts: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="recurring.run_due")
def run_due_occurrences() -> dict[str, int]:
    """Record and send every due occurrence (safe to run twice, or from two beats at once)."""
    from . import services

    result = services.occurrences_run()
    return {"sent": result.sent, "held": result.held, "ended": result.ended}
