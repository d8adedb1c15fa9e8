"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

# Unset means production: it refuses to start without real secrets (fail closed).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
application = get_asgi_application()
