"""/healthz reports database and broker status, and a real worker executes the health task."""

import pytest
from django.utils import timezone

from tests.fixtures.worker import wait_for


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.worker
def test_a_real_worker_process_executes_the_health_task(client, celery_worker_factory):
    from portal.models import WorkerHeartbeat

    started = timezone.now()
    worker = celery_worker_factory()
    assert client.get("/healthz").status_code == 200  # enqueues the health task
    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(beat_at__gte=started).first(), timeout=30)
    assert beat is not None, worker.log[-2000:]
    assert beat.hostname.startswith("test-")
    assert client.get("/healthz").json()["worker"] == "ok"
