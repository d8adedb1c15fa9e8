"""Demo-data registry: each app registers a loader from AppConfig.ready();
``manage.py demo_setup`` runs them in order. Loaders must be idempotent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Model

    from accounts.models import User

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


def staff_for(say: Callable[[str], None], name: str, made: type[Model], *emails: str) -> list[User] | None:
    """The demo staff (by email, in that order) a loader creates its rows as; None, having
    said why, when it has nothing to do: its ``made`` rows are already there (loaders are
    idempotent), or a demo staff member is missing."""
    from accounts.models import User

    if made._default_manager.exists():
        say(f"{name}: already there")
        return None
    staff = [User.objects.filter(email=email).first() for email in emails]
    found = [user for user in staff if user is not None]
    if len(found) < len(emails):
        say(f"{name}: no demo staff ({', '.join(emails)}); skipped")
        return None
    return found


def refuse_outside_debug(command: str) -> None:
    """Demo commands create known logins, print TOTP codes or fake residents: DEBUG only
    (``make run`` uses portal.settings.local, where DEBUG is on)."""
    if not settings.DEBUG:
        raise CommandError(
            f"{command} only runs with DEBUG on (the demo and development: DJANGO_SETTINGS_MODULE=portal.settings.local). "
            "It creates demo logins with published passwords, so it never runs on a real portal."
        )
