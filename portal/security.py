"""Fail closed: outside DEBUG the portal refuses to start with demo secrets or plain HTTP.

``refuse_insecure_settings()`` runs from ``PortalConfig.ready()``, so every entry point that
sets Django up (WSGI/ASGI, manage.py, the Celery worker and beat) stops with one message
naming each variable to fix. Only the local and test settings (``PORTAL_DEMO_SECRETS_ALLOWED``,
a settings constant, never read from the environment) and DEBUG skip it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Values committed in this repository (settings defaults, benchmarks, docs): never secret.
COMMITTED_SECRET_KEYS = frozenset({"dev-insecure-secret-key-change-me-in-production-0123456789"})
COMMITTED_LINE_SECRETS = frozenset({"demo-channel-secret", "bench-channel-secret"})
COMMITTED_LINE_TOKENS = frozenset({"demo-channel-access-token", "bench-channel-access-token"})
COMMITTED_HASH_KEYS = frozenset({"dev-insecure-recipient-hash-key"})
MIN_SECRET_KEY_LENGTH = 50


def insecure_settings(settings: Any) -> list[str]:
    """What makes these settings unfit to serve, one sentence per variable ([] when fine)."""
    if settings.DEBUG or getattr(settings, "PORTAL_DEMO_SECRETS_ALLOWED", False):
        return []
    problems = []
    key = settings.SECRET_KEY or ""
    known = COMMITTED_SECRET_KEYS | {getattr(settings, "DEMO_SECRET_KEY", "")}
    if key in known or key.startswith("django-insecure-"):
        problems.append("SECRET_KEY is the committed development key: set SECRET_KEY to a new random value.")
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        problems.append(
            f"SECRET_KEY is too short or too simple: set at least {MIN_SECRET_KEY_LENGTH} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    secret = settings.LINE_CHANNEL_SECRET or ""
    if not secret or secret in COMMITTED_LINE_SECRETS | {getattr(settings, "DEMO_LINE_CHANNEL_SECRET", "")}:
        problems.append(
            "LINE_CHANNEL_SECRET is the demo value (anyone could forge webhooks): "
            "set the channel secret from the LINE Developers console."
        )
    token = settings.LINE_CHANNEL_ACCESS_TOKEN or ""
    if not token or token in COMMITTED_LINE_TOKENS | {getattr(settings, "DEMO_LINE_CHANNEL_ACCESS_TOKEN", "")}:
        problems.append(
            "LINE_CHANNEL_ACCESS_TOKEN is the demo value: set the channel access token from the LINE Developers console."
        )
    hash_key = getattr(settings, "BROADCAST_RECIPIENT_HASH_KEY", None)
    if hash_key is not None and (hash_key in COMMITTED_HASH_KEYS or len(hash_key) < 32):
        problems.append("BROADCAST_RECIPIENT_HASH_KEY is the committed development key: set it to a new random value.")
    base = urlsplit(settings.PORTAL_BASE_URL or "")
    if base.scheme != "https" or not base.netloc:
        problems.append(
            f"PORTAL_BASE_URL must be the portal's public https:// address (is {settings.PORTAL_BASE_URL!r}): "
            "residents' links and the image URLs LINE fetches are built on it, and LINE accepts only HTTPS."
        )
    return problems


def refuse_insecure_settings() -> None:
    """Raise ImproperlyConfigured listing every problem; nothing when the settings are fit."""
    from django.conf import settings

    problems = insecure_settings(settings)
    if problems:
        raise ImproperlyConfigured(
            "outside DEBUG the portal does not start with demo secrets or plain HTTP.\n  - " + "\n  - ".join(problems)
        )
