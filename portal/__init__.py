"""The staff portal behind a municipality's LINE Official Account."""

from .celery import app as celery_app

__all__ = ["celery_app"]
