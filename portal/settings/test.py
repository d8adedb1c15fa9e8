"""Test settings: same as base, with fast hashing and the emulator as LINE host."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, broker_transport_options, env

# One SQLite file per test run, so concurrent runs (and a real worker process started by
# tests/fixtures/worker.py, which must open the same file) never collide.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}

DEBUG = False
# The committed demo secrets are fine for tests (portal.security checks the rest).
PORTAL_DEMO_SECRETS_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process unless a test starts a real worker (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
LINE_API_BASE_URL = "http://127.0.0.1:9"  # a closed port: a test that forgets the emulator fails
LINE_API_DATA_BASE_URL = "http://127.0.0.1:9"
LINE_REQUEST_TIMEOUT = 3.0
LINE_ANSWER_COUNTS_COMPACT_ROWS = 0  # every compaction folds the answers' rows (tests/line/test_answer_counts.py)
# LINE accepts HTTPS media URLs only, and so does the emulator: image messages built on this
# base must pass it as they would pass LINE.
PORTAL_BASE_URL = "https://portal.city.example.jp"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{os.getpid()}"
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / f"test-private-{os.getpid()}"
# A broker folder per run too (only used with the embedded filesystem broker).
CELERY_BROKER_DIR = BASE_DIR / "var" / f"test-broker-{os.getpid()}"
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_BROKER_DIR)
# A queue per run, so a real worker started by a test never takes another run's tasks.
CELERY_TASK_DEFAULT_QUEUE = f"test-{os.getpid()}"
ROADS_PHOTO_QUEUE = f"test-{os.getpid()}-photos"
CELERY_TASK_ROUTES = {"roads.fetch_photo": {"queue": ROADS_PHOTO_QUEUE}}
# Every test sees the release its own (rolled-back) database holds.
BROADCAST_PRIVACY_LOOKUP_CACHE_SECONDS = 0.0
