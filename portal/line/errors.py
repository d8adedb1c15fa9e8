"""What a call to LINE can answer besides success: the error types and a send's result.
Features catch these (``from portal.line.errors import LineError``) without importing the
client or line-bot-sdk. Messages carry LINE's message and the HTTP status, never recipients.
"""

from __future__ import annotations

from dataclasses import dataclass


class LineError(Exception):
    """Any failure talking to LINE."""


class LineRateLimited(LineError):
    """429: too many requests. ``retry_after`` in seconds when LINE said so."""

    def __init__(self, message: str = "rate limited", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LineTemporaryError(LineError):
    """5xx, timeout or connection failure: retry later (with the same retry key)."""

    def __init__(self, message: str = "temporary error", *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LineRejected(LineError):
    """Another 4xx: LINE refused the request; retrying will not help."""

    def __init__(self, status: int, message: str, details: list | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.details = details or []


@dataclass
class SendResult:
    request_id: str
    duplicate: bool = False  # 409: this retry key was already accepted: count as delivered
    accepted_request_id: str = ""
