"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

# Unset means production: it refuses to start without real secrets (fail closed).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
application = get_wsgi_application()
