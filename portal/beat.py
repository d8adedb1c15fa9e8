"""Celery beat's periodic jobs: each app declares its own in ``<app>/beat.py``.

An app's ``beat.py`` holds ``SCHEDULE``, a dict of Celery beat entries by job name
(``{"roads-requeue-pending-photos": {"task": "roads.requeue_pending_photos", "schedule": 600.0}}``).
``collect()``, run from ``PortalConfig.ready()`` in every process (web, worker, beat, tests),
gathers them from the installed apps into ``settings.CELERY_BEAT_SCHEDULE``, the dict Celery
beat reads; a name declared by two apps is refused.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The portal's own jobs.
SCHEDULE: dict[str, dict[str, Any]] = {
    # Hourly: every store of personal data registered in portal/retention.py, past its period.
    "portal-purge-personal-data": {"task": "portal.purge_personal_data", "schedule": 3600.0},
    # Beat's heartbeat (/healthz): the worker running it records its last-seen time.
    "portal-health-beat": {"task": "portal.health_beat", "schedule": settings.HEALTH_BEAT_SECONDS},
}


def app_schedules() -> dict[str, dict[str, Any]]:
    """Every installed app's ``beat.SCHEDULE``, merged."""
    merged: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.beat"
        if importlib.util.find_spec(module_name) is None:
            continue
        schedule: dict[str, dict[str, Any]] = importlib.import_module(module_name).SCHEDULE
        for name, entry in schedule.items():
            if name in owners:
                raise ImproperlyConfigured(f"beat job {name!r} is declared by {owners[name]} and {config.name}")
            owners[name] = config.name
            merged[name] = entry
    return merged


def collect() -> None:
    """Fill ``settings.CELERY_BEAT_SCHEDULE`` (empty in the settings) from the apps."""
    settings.CELERY_BEAT_SCHEDULE.update(app_schedules())
