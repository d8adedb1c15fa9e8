"""Residents' photos are fetched on their own queue: the workers that take webhooks and
broadcasts never decode photos, and photos wait (stored, pending) until a photo worker runs."""

import pytest
from django.conf import settings

from intake.roads import services
from intake.roads.models import ReportPhoto
from portal.line.devtools import simulate
from portal.line.models import Resident, WebhookEvent
from tests.fixtures.line import ResidentSimulator
from tests.fixtures.worker import wait_for

USER = simulate.user_id_for("photo-queue")


def test_photo_task_is_routed_to_the_photo_queue():
    from portal.celery import app

    route = app.amqp.router.route({}, "roads.fetch_photo")
    assert route["queue"].name == settings.ROADS_PHOTO_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert app.amqp.router.route({}, "line.process_webhook_event")["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_photos_wait_for_a_photo_worker_while_webhooks_flow(celery_worker_factory, line_emulator):
    general = celery_worker_factory(queues=[settings.CELERY_TASK_DEFAULT_QUEUE])
    resident = Resident.objects.create(line_user_id=USER)
    line_emulator.add_content("msg-queue-1")
    photo = services.photo_receive(resident=resident, message_id="msg-queue-1")
    # the general worker keeps serving webhooks …
    assert ResidentSimulator(line_emulator).follow(simulate.user_id_for("someone")).status_code == 200
    assert wait_for(lambda: WebhookEvent.objects.filter(state=WebhookEvent.State.DONE).exists(), timeout=40), general.log[-3000:]
    # … but never takes the photo
    assert ReportPhoto.objects.get(pk=photo.pk).state == "pending"
    assert "roads.fetch_photo[" not in general.log  # never received (the task list at start names it)
    photos = celery_worker_factory(queues=[settings.ROADS_PHOTO_QUEUE])
    assert wait_for(lambda: ReportPhoto.objects.get(pk=photo.pk).state == "ready", timeout=40), photos.log[-3000:]
