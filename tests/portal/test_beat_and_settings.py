"""Beat's schedule is what the apps declare (each in its own beat.py); settings create nothing."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal import beat
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def test_the_schedule_is_every_apps_own_jobs_and_beat_reads_it():
    declared = {}
    for config in apps.get_app_configs():
        path = Path(config.path) / "beat.py"
        if path.exists():
            declared.update(importlib.import_module(f"{config.name}.beat").SCHEDULE)
    assert {"portal-purge-personal-data", "bulky-reminders", "roads-requeue-pending-photos"} <= set(declared)
    assert settings.CELERY_BEAT_SCHEDULE == declared
    assert celery_app.conf.beat_schedule == declared  # what `celery beat` schedules


def test_a_job_name_two_apps_declare_is_refused(monkeypatch):
    import intake.roads.beat

    monkeypatch.setitem(intake.roads.beat.SCHEDULE, "bulky-reminders", {"task": "roads.requeue_pending_photos", "schedule": 1})
    with pytest.raises(ImproperlyConfigured, match="bulky-reminders"):
        beat.app_schedules()


@pytest.mark.parametrize("module", ["portal.settings.local", "portal.settings.test", "portal.settings.production"])
def test_loading_settings_creates_no_folder(tmp_path, module):
    var = tmp_path / "var"
    env = {**os.environ, "PORTAL_VAR_DIR": str(var), "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.jp"}
    env.update({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "BROADCAST_RECIPIENT_HASH_KEY": "k"})
    env.update({"PORTAL_BASE_URL": "https://portal.example.jp", "CELERY_BROKER_DIR": str(tmp_path / "broker")})
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not var.exists() and not (tmp_path / "broker").exists()
