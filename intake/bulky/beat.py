"""Periodic jobs of intake.bulky (collected into Celery beat's schedule by portal/beat.py)."""

from typing import Any

from celery.schedules import crontab

SCHEDULE: dict[str, dict[str, Any]] = {
    # The day before collection, remind each booking once (dedupe key per booking and date).
    # Bookings' personal data is purged by the hourly portal.purge_personal_data job (the store
    # "bulky.bookings" registered in intake/bulky/apps.py; period: BulkySettings.retention_days).
    "bulky-reminders": {"task": "bulky.send_reminders", "schedule": crontab(hour=17, minute=0)},
}
