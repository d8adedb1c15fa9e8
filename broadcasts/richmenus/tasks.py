"""Celery tasks of rich menus: thin (ids in, retry policy only)."""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task

from portal.line.errors import LineError, LineRateLimited, LineRejected

logger = logging.getLogger(__name__)


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


FOLLOW_REJECTED_RETRIES = 5  # LINE refusing the request (4xx): waiting rarely helps
FOLLOW_EAGER_RETRIES = 8  # eager mode (tests, no broker): retried in place, without the wait


def _backoff(retries: int) -> float:
    return min(300.0, 2.0**retries) + random.uniform(0, 1)


@shared_task(name="richmenus.follow_resident", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
             ignore_result=True)  # fmt: skip
def follow_resident(self: Any, resident_id: int, refollowed: bool = False) -> str:
    """The resident's menu after their segment changed (residents.resident_menu_follow). A
    429 waits LINE's (or the bucket's) time, a 5xx or timeout backs off (to 5 minutes), and
    both retry for as long as it takes: each run reads the resident's answers as they are
    then, so a retry never sends a stale menu and the change is never dropped. LINE refusing
    the request is retried a few times, then logged (the next change or a relink fixes it)."""
    from django.utils import timezone

    from . import residents

    started = timezone.now()
    try:
        done = residents.resident_menu_follow(resident_id=resident_id, refollowed=refollowed)
    except LineError as exc:
        retries = self.request.retries
        if isinstance(exc, LineRejected) and retries >= FOLLOW_REJECTED_RETRIES:
            logger.warning("resident#%s: LINE refused the rich-menu link (%s %s)", resident_id, exc.status, exc.message)
            residents.follow_done(resident_id=resident_id, started=started)
            return "refused"
        wait = exc.retry_after if isinstance(exc, LineRateLimited) else None
        countdown = float(wait) if wait else _backoff(retries)
        if self.request.is_eager:
            if retries >= FOLLOW_EAGER_RETRIES:
                raise
            return str(self.apply(args=(resident_id, refollowed), retries=retries + 1).result)
        raise self.retry(args=(resident_id, refollowed), countdown=countdown, exc=exc) from None
    residents.follow_done(resident_id=resident_id, started=started)
    return done


@shared_task(name="richmenus.resume_follows")
def resume_follows() -> int:
    from . import residents

    return residents.follows_resume()
