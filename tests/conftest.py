"""Shared pytest set-up. Fixtures live in tests/fixtures/*.py, one module per area (and one per
concern: commit.py runs on-commit callbacks, queries.py asserts exact query counts).

Test objects are built by fixture functions, most through the services (``make_broadcast``
passes the 50 rule, ``make_report`` numbers the report), so a test's data obeys the rules the
portal enforces; factory_boy, which would build rows beside the services, is not used."""

import shutil
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.commit",
    "tests.fixtures.queries",
    "tests.fixtures.accounts",
    "tests.fixtures.worker",
    "tests.fixtures.browser",
    "tests.fixtures.line",
    "tests.fixtures.broadcasts",
    "tests.fixtures.roads",
    "tests.fixtures.bulky",
    "tests.fixtures.world",
]


@pytest.fixture(autouse=True)
def _media_dirs(settings, tmp_path):
    """Each test writes media into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_rate_limit_buckets(settings):
    """Each test starts with full LINE rate-limit buckets. On SQLite the buckets are rows the
    test's transaction rolls back; on Redis they would outlive the test (the insight and
    rich-menu buckets allow a few requests an hour), so each test gets its own key prefix."""
    import uuid

    settings.LINE_RATE_LIMIT_PREFIX = f"line-rate-test-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _default_language():
    """A test that opened a page in English leaves the thread in English (LocaleMiddleware
    activates, nothing deactivates); the next test's eager tasks (chat replies) would speak it."""
    yield
    from django.utils import translation

    translation.deactivate()


def pytest_sessionfinish(session, exitstatus):
    from django.conf import settings

    broker = getattr(settings, "CELERY_BROKER_DIR", None)
    if broker and "test-broker-" in str(broker):
        shutil.rmtree(Path(broker), ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Browser tests drive a real Chromium on a shared 2-core machine, where a step can lose a
    race with the page under load: each is retried at most twice (pytest-rerunfailures reports
    every rerun, and a test failing three times fails). Other tests are never retried."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=1))
