"""The Celery application; tasks are discovered in each installed app's tasks.py."""

import os

from celery import Celery

# Unset means production: it refuses to start without real secrets (fail closed).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

app = Celery("portal")
app.config_from_object("portal.celery_settings:settings", namespace="CELERY")
app.autodiscover_tasks()
