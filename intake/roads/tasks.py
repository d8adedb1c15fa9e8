"""Celery tasks of intake.roads: thin (ids in, a service call, the retry policy)."""

from celery import Task, shared_task
from django.conf import settings

from . import services


@shared_task(bind=True, max_retries=8, acks_late=True, name="roads.fetch_photo")
def fetch_photo(self: Task, photo_id: int) -> None:
    """Fetch one resident photo from LINE's content endpoint. Temporary failures retry with
    backoff; the photo stays 取得待ち meanwhile, and the beat job re-enqueues stragglers."""
    try:
        services.photo_fetch(photo_id=photo_id)
    except services.PhotoFetchTemporaryError as exc:
        if self.request.is_eager:
            return  # tests / eager mode: leave it pending for the beat job
        base = float(getattr(settings, "ROADS_PHOTO_RETRY_BASE", 5.0))
        raise self.retry(exc=exc, countdown=min(600.0, base * 2**self.request.retries)) from None


@shared_task(name="roads.requeue_pending_photos")
def requeue_pending_photos() -> int:
    """Every 10 minutes: re-enqueue pending photos. (Photos of abandoned chats are deleted by
    the hourly retention job: store ``roads.unsent_photos``.)"""
    return services.photos_pending_requeue()
