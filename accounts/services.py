"""Writes for staff accounts and the audit log."""

from typing import Any

from django.http import HttpRequest

from .models import AuditEntry, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one audit entry. ``target`` may be a model instance (its type, pk and str
    are recorded, so its ``__str__`` must carry no personal data) or omitted."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_repr = target_repr or str(target)
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=actor.email if actor else "",
        target_type=target_type,
        target_id=str(target_id),
        target_repr=str(target_repr)[:200],
        ip=client_ip(request),
        detail=detail or {},
    )
