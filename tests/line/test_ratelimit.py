"""The shared token bucket (Redis when configured, else a database row)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from portal.line import ratelimit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bucket(settings, db):
    name = f"test-{os.getpid()}-{time.monotonic_ns()}"
    settings.LINE_RATE_LIMITS = {**settings.LINE_RATE_LIMITS, name: {"rate": 20, "per": 1.0, "burst": 2}}
    yield name
    ratelimit.reset(name)


def test_configured_rates_stay_below_lines_ceilings():
    ceilings = {"multicast": 200, "push": 2000, "broadcast": 60}
    for name, ceiling in ceilings.items():
        config = django_settings.LINE_RATE_LIMITS[name]
        window = 3600.0 if name == "broadcast" else 1.0
        assert config["burst"] + config["rate"] * window / config.get("per", 1.0) < ceiling


def test_bucket_paces_requests_to_its_rate(bucket):
    started = time.monotonic()
    for _ in range(12):
        assert ratelimit.acquire(bucket)
    elapsed = time.monotonic() - started
    # 2 from the burst, then 10 at 20/s: at least 0.5 s
    assert elapsed >= 0.45


def test_timeout_takes_nothing_when_the_wait_is_too_long(bucket):
    assert ratelimit.acquire(bucket, timeout=0)
    assert ratelimit.acquire(bucket, timeout=0)
    assert not ratelimit.acquire(bucket, timeout=0)  # the burst is used up
    time.sleep(0.06)
    assert ratelimit.acquire(bucket, timeout=0)


SCRIPT = """
import os, sys, time, django
django.setup()
from django.conf import settings
settings.LINE_RATE_LIMITS[sys.argv[1]] = {"rate": 20, "per": 1.0, "burst": 2}
from portal.line import ratelimit
print("ready", flush=True)
sys.stdin.readline()
for _ in range(10):
    ratelimit.acquire(sys.argv[1])
print(time.time(), flush=True)
"""


def _database_url() -> str:
    from tests.fixtures.worker import _database_url

    return _database_url()


def test_bucket_is_shared_between_processes(transactional_db, bucket):
    """Two processes taking 10 tokens each from one 20/s bucket need about a second
    together; per-process buckets would finish in half that."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
    }
    if connection.vendor == "sqlite":
        env.pop("CACHE_URL", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, bucket], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )  # fmt: skip
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    started = time.time()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    finished = [float(proc.stdout.readline()) for proc in procs]
    for proc in procs:
        proc.wait(timeout=30)
    # 20 tokens, 2 from the burst: at least 18/20 s
    assert max(finished) - started >= 0.85
