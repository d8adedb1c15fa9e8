"""Demo-data registry: each app registers a loader from AppConfig.ready();
``manage.py demo_setup`` runs them in order. Loaders must be idempotent."""

from collections.abc import Callable

_loaders: list[tuple[int, str, Callable[[Callable[[str], None]], None]]] = []


def register(order: int, name: str, loader: Callable[[Callable[[str], None]], None]) -> None:
    """``loader(say)`` creates demo rows and reports with ``say(text)`` what it made."""
    if all(existing[1] != name for existing in _loaders):
        _loaders.append((order, name, loader))


def loaders() -> list[tuple[int, str, Callable[[Callable[[str], None]], None]]]:
    return sorted(_loaders, key=lambda item: item[0])
