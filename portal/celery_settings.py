"""Celery's configuration: Django's settings, refused before use when unfit to serve.

Celery runs Django's set-up from a signal whose errors it only logs, so the check runs here,
where the worker and beat first read their configuration: an exception stops them.
"""

from django.conf import settings

from portal.security import refuse_insecure_settings

refuse_insecure_settings()

__all__ = ["settings"]
