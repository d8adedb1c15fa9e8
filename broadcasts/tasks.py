"""Celery tasks of broadcasts: thin wrappers around services (ids in, retry policy only)."""

from celery import shared_task

from . import services


@shared_task(name="broadcasts.start", bind=True, acks_late=True, reject_on_worker_lost=True)
def start_broadcast(self, broadcast_id: int) -> None:
    # Batch tasks follow the start task's queue (a dedicated broadcast queue, or a test run's).
    queue = (self.request.delivery_info or {}).get("routing_key") or None
    services.broadcast_start(broadcast_id=broadcast_id, queue=queue)


@shared_task(name="broadcasts.send_batch", acks_late=True, reject_on_worker_lost=True)
def send_batch(batch_id: int, endpoint: str = "multicast") -> str:
    return services.batch_send(batch_id=batch_id, endpoint=endpoint)


@shared_task(name="broadcasts.start_due")
def start_due_scheduled() -> int:
    return services.start_due_scheduled()


@shared_task(name="broadcasts.requeue_stale")
def requeue_stale_batches() -> int:
    return services.batches_requeue_stale()


@shared_task(name="broadcasts.refresh_reach_cells")
def refresh_reach_cells() -> int:
    """Rebuild the reach cells; publish the differentially private release when it is due
    (``BROADCAST_PRIVACY_RELEASE_HOURS``: more refreshes never mean more releases)."""
    from . import privacy

    cells = services.reach_cells_refresh()
    privacy.release_publish(refresh=False)
    return cells


@shared_task(name="broadcasts.audit_estimate_usage")
def audit_estimate_usage() -> int:
    return services.estimate_usage_audit()
