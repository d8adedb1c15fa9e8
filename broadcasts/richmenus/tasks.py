"""Celery tasks of rich menus: thin (ids in, retry policy only)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="richmenus.run_link_job", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_link_job(self: Any, job_id: int) -> str:
    """Send a bulk link/unlink job's batches (services.link_job_run); a 429 or 5xx comes back
    as a retry with LINE's (or the bucket's) wait, the batch still pending."""
    from . import services

    step = services.link_job_run(job_id=job_id)
    if step.status == "done":
        return "done"
    if self.request.is_eager:
        if step.status == "held":
            return "held"
        import time

        time.sleep(step.retry_in or 0)  # eager (tests): nobody else will run it
        return self.apply(args=(job_id,), task_id=self.request.id).result
    raise self.retry(args=(job_id,), countdown=step.retry_in or 0)


@shared_task(name="richmenus.resume_link_jobs")
def resume_link_jobs() -> int:
    from . import services

    return services.link_jobs_resume()


@shared_task(name="richmenus.sync_line")
def sync_line() -> int:
    from . import services

    return services.richmenus_sync_line()
