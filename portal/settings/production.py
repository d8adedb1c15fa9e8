"""Production settings: refuses to start without its secrets; HTTPS everywhere.

The default of every entry point (manage.py, WSGI, ASGI, Celery) when
``DJANGO_SETTINGS_MODULE`` is unset. portal.security also refuses demo values, short keys
and a non-HTTPS PORTAL_BASE_URL here."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
LINE_CHANNEL_SECRET = env.str("LINE_CHANNEL_SECRET")
LINE_CHANNEL_ACCESS_TOKEN = env.str("LINE_CHANNEL_ACCESS_TOKEN")
BROADCAST_RECIPIENT_HASH_KEY = env.str("BROADCAST_RECIPIENT_HASH_KEY")
# Residents' booking links and the image URLs LINE fetches: the portal's HTTPS address.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
