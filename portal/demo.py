"""Demo-data registry: each app registers a loader from AppConfig.ready();
``manage.py demo_setup`` runs them in order. Loaders must be idempotent."""

from collections.abc import Callable

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.module_loading import import_string

Loader = Callable[[Callable[[str], None]], None]

_loaders: list[tuple[int, str, Loader | str]] = []


def register(order: int, name: str, loader: Loader | str) -> None:
    """``loader(say)`` creates demo rows and reports with ``say(text)`` what it made. A
    dotted path is imported when the loaders run (e.g. the LINE layer's dev tools, which a
    production start never loads)."""
    if all(existing[1] != name for existing in _loaders):
        _loaders.append((order, name, loader))


def loaders() -> list[tuple[int, str, Loader]]:
    return [
        (order, name, import_string(loader) if isinstance(loader, str) else loader)
        for order, name, loader in sorted(_loaders, key=lambda item: item[0])
    ]


def refuse_outside_debug(command: str) -> None:
    """Demo commands create known logins, print TOTP codes or fake residents: DEBUG only
    (``make run`` uses portal.settings.local, where DEBUG is on)."""
    if not settings.DEBUG:
        raise CommandError(
            f"{command} only runs with DEBUG on (the demo and development: DJANGO_SETTINGS_MODULE=portal.settings.local). "
            "It creates demo logins with published passwords, so it never runs on a real portal."
        )
