"""One domain error for every service, and the two places that turn it into an answer.

Services raise :class:`DomainError` (or a subclass) with a message in staff's words, a
stable machine ``code`` and optional ``details``. The DRF exception handler
(:func:`api_exception_handler`, wired in ``REST_FRAMEWORK``) answers it as a 4xx JSON body
``{"detail": [message, ...], "code": ..., "details": {...}}``; pages call
:func:`page_error` to show it as a message. Nothing else translates errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A request the rules refuse. ``message`` is shown to staff (or the resident) as is."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        messages: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.details: dict[str, Any] = details or {}
        self.messages: list[str] = [str(m) for m in messages] if messages else [self.message]

    def body(self) -> dict[str, Any]:
        """The JSON body of the API's answer."""
        return {"detail": self.messages, "code": self.code, "details": self.details}


class NotAllowed(DomainError):
    """The rules forbid this person this action (e.g. approving one's own broadcast)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"


class Conflict(DomainError):
    """The object is not in a state that allows the action (or changed meanwhile)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """The API's error body, for the schema (what :meth:`DomainError.body` answers)."""

    detail = serializers.ListField(child=serializers.CharField())
    code = serializers.CharField()
    details = serializers.DictField(required=False)


def as_domain_error(exc: Exception) -> DomainError | None:
    """``exc`` as a DomainError when it is one of the errors services may still raise
    (Django's ValidationError from a model's ``full_clean``, PermissionDenied)."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DjangoValidationError):
        texts = [str(m) for m in exc.messages]
        return DomainError(" ".join(texts), messages=texts)
    if isinstance(exc, PermissionDenied):
        return NotAllowed(str(exc) or "この操作を行う権限がありません。")
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: DomainError → its 4xx; the rest as DRF does."""
    if isinstance(exc, DomainError | DjangoValidationError):
        error = as_domain_error(exc)
        assert error is not None
        return Response(error.body(), status=error.status_code)
    if isinstance(exc, PermissionDenied) and str(exc):
        return Response(NotAllowed(str(exc)).body(), status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


def page_error(request: HttpRequest, exc: Exception) -> None:
    """Show a refused action on the next page, in staff's words (one message per problem)."""
    error = as_domain_error(exc)
    if error is None:
        raise exc
    for text in error.messages:
        messages.error(request, text)
