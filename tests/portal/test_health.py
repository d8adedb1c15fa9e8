"""/healthz: database and broker status, beat's and the worker's heartbeats; reads only
(no request enqueues anything), answered from a short cache."""

import datetime as dt

import pytest
import time_machine
from celery.signals import before_task_publish
from django.core.cache import cache
from django.utils import timezone

from tests.fixtures.worker import wait_for


@pytest.fixture
def fresh_cache(db):
    """The cached answer of an earlier test (Redis outlives the test's transaction) goes."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published():
    """Names of the tasks this process sends to the broker while the fixture is active
    (eager mode off, so a ``.delay()`` really publishes)."""
    from portal.celery import app

    sent: list[str] = []

    def count(sender=None, **_kwargs):
        sent.append(sender)

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    before_task_publish.connect(count, weak=False)
    yield sent
    before_task_publish.disconnect(count)
    app.conf.task_always_eager = was_eager


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, fresh_cache):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["beat"] == "unknown" and body["worker"] == "unknown"  # nothing has run yet


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings, fresh_cache):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.django_db
def test_a_hundred_requests_enqueue_nothing(client, published, settings, fresh_cache):
    settings.HEALTHZ_CACHE_SECONDS = 0  # every request does the full check
    for _ in range(100):
        assert client.get("/healthz").status_code == 200
    assert published == []


@pytest.mark.django_db
def test_the_control_counts_a_publish(published):
    """The counter above sees a real publish (so its zero means something)."""
    from portal.tasks import health_beat

    health_beat.delay()
    assert published == ["portal.health_beat"]


def test_beat_sends_the_health_task_every_minute(settings):
    entry = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "portal.health_beat"]
    assert len(entry) == 1
    assert float(entry[0]["schedule"]) <= 60


@pytest.mark.django_db
def test_heartbeats_are_reported_and_go_stale(client, published, fresh_cache):
    from portal.tasks import health_beat

    health_beat.delay()  # as beat sends it: beat's heartbeat
    health_beat.apply()  # as a worker runs it: the worker's last-seen time
    body = client.get("/healthz").json()
    assert (body["beat"], body["worker"]) == ("ok", "ok")
    assert body["last_beat_at"] and body["last_worker_seen_at"]
    cache.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        body = client.get("/healthz").json()
    assert (body["beat"], body["worker"]) == ("stale", "stale")


@pytest.mark.django_db
def test_answers_are_cached_for_a_few_seconds(client, settings, fresh_cache):
    """Real seconds: the cache may be Redis, whose expiry no fake clock moves."""
    import time

    from portal.tasks import health_beat

    settings.HEALTHZ_CACHE_SECONDS = 2
    first = client.get("/healthz").json()
    health_beat.apply()  # the worker runs the task just after
    assert client.get("/healthz").json() == first  # same answer: cached
    time.sleep(2.3)
    assert client.get("/healthz").json()["worker"] == "ok"


@pytest.mark.worker
def test_a_real_worker_process_records_when_it_was_last_seen(client, celery_worker_factory):
    from portal.models import WorkerHeartbeat
    from portal.tasks import health_beat

    started = timezone.now()
    worker = celery_worker_factory()
    cache.clear()
    health_beat.delay()  # what beat sends each minute
    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(name="worker", beat_at__gte=started).first(), timeout=30)
    assert beat is not None, worker.log[-2000:]
    assert beat.hostname.startswith("test-")
    body = client.get("/healthz").json()
    assert (body["beat"], body["worker"]) == ("ok", "ok")
