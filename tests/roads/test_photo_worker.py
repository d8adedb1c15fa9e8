"""Cross-process: a real Celery worker fetches a resident's photo; LINE's content endpoint
fails twice with 500, the task retries and the photo ends up stored (nothing lost)."""

import pytest

from intake.roads import services
from intake.roads.models import ReportPhoto
from portal.line.models import Resident
from tests.fixtures.worker import wait_for


@pytest.mark.django_db(transaction=True)
def test_photo_fetch_retries_in_a_real_worker(celery_worker_factory, line_emulator):
    worker = celery_worker_factory(ROADS_PHOTO_RETRY_BASE="0.3")
    line_emulator.set_faults(rate_500=1.0, endpoints=("content",), limit=2)
    resident = Resident.objects.create(line_user_id="U" + "e" * 32)
    line_emulator.add_content("msg-worker-1")
    photo = services.photo_receive(resident=resident, message_id="msg-worker-1")
    assert wait_for(lambda: ReportPhoto.objects.get(pk=photo.pk).state == "ready", timeout=40), worker.log[-3000:]
    photo.refresh_from_db()
    assert photo.attempts == 3
    assert [r["status"] for r in line_emulator.requests("content")][:2] == [500, 500]
    assert photo.display_path and photo.original_path
