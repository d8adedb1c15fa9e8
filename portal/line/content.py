"""What residents sent besides text (photos, videos, files): fetched from LINE's data host
by message id. LINE keeps it for a limited time only, so fetch it soon after the event."""

from __future__ import annotations

from . import client


def message_content(*, message_id: str) -> tuple[bytes, str]:
    """The content's bytes and content type. Raises ``errors.LineTemporaryError`` or
    ``errors.LineRateLimited`` (try again later) and ``errors.LineRejected`` (gone: expired
    or deleted; never coming back)."""
    return client.get_message_content(message_id=message_id)
