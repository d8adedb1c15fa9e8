"""Every request a bulky test sends ends as a real one does: its transaction commits, so
the on-commit callbacks it registered (the LINE pushes' enqueue) run then — except those of
savepoints that rolled back, which Django drops (``captureOnCommitCallbacks(execute=True)``,
through pytest-django's ``django_capture_on_commit_callbacks``). A booking refused for
capacity therefore pushes nothing, as in production (test_capacity.py proves it)."""

from collections.abc import Callable

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _requests_commit(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable) -> None:
    send = Client.request

    def request(self: Client, **kwargs: object) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            return send(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)
