"""Celery tasks of broadcasts: thin wrappers around services (ids in, retry policy only)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="broadcasts.start", bind=True, acks_late=True, reject_on_worker_lost=True)
def start_broadcast(self: Any, broadcast_id: int) -> None:
    from . import fanout

    # Batch tasks follow the start task's queue (a dedicated broadcast queue, or a test run's).
    queue = (self.request.delivery_info or {}).get("routing_key") or None
    fanout.broadcast_start(broadcast_id=broadcast_id, queue=queue)


@shared_task(name="broadcasts.send_batch", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_batch(self: Any, batch_id: int, endpoint: str = "multicast", attempt: int = 0) -> str:
    """One attempt at a batch (fanout.batch_send). A retryable failure, or a lease held by
    another task, comes back here as ``retry_in``: the task goes back to the broker with that
    countdown and the worker thread is free for other batches meanwhile. ``fanout`` gives up
    after ``MAX_ATTEMPTS`` (so no ``max_retries`` here)."""
    from . import fanout

    result = fanout.batch_send(batch_id=batch_id, owner=self.request.id or "", attempt=attempt)
    if result.retry_in is None:
        return result.status
    if self.request.is_eager:
        # Eager mode (tests, no broker) runs one task at a time, and Celery's retry would
        # raise to the caller: a held batch has nobody else to finish it; a retry runs in
        # place at once (same task id, so it takes its own lease back).
        if result.status == "held":
            return "skipped"
        kwargs = {"attempt": result.attempt}
        return str(self.apply(args=(batch_id, endpoint), kwargs=kwargs, task_id=self.request.id).result)
    raise self.retry(args=(batch_id, endpoint), kwargs={"attempt": result.attempt}, countdown=result.retry_in)


@shared_task(name="broadcasts.start_due")
def start_due_scheduled() -> int:
    from . import fanout

    return fanout.start_due_scheduled()


@shared_task(name="broadcasts.requeue_stale")
def requeue_stale_batches() -> int:
    from . import fanout

    return fanout.batches_requeue_stale()


@shared_task(name="broadcasts.refresh_reach_cells")
def refresh_reach_cells() -> int:
    """Rebuild the reach cells; publish the differentially private release when it is due
    (``BROADCAST_PRIVACY_RELEASE_HOURS``: more refreshes never mean more releases)."""
    from . import privacy, services

    cells = services.reach_cells_refresh()
    privacy.release_publish(refresh=False)
    return cells


@shared_task(name="broadcasts.audit_estimate_usage")
def audit_estimate_usage() -> int:
    from . import services

    return services.estimate_usage_audit()


@shared_task(name="broadcasts.fetch_results")
def fetch_results() -> int:
    """LINE's statistics of recently sent broadcasts and friends per day (results.py)."""
    from . import results

    return results.results_fetch_due().fetched
