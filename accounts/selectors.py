"""Reads about staff accounts, roles and the audit log."""

from datetime import datetime, time
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from . import audit, roles
from .models import AuditEntry, RolePolicy, User


def user_requires_mfa(*, user: User) -> bool:
    """Admins always need MFA; other roles when their policy says so."""
    if not user.is_authenticated:
        return False
    groups = list(user.groups.all().select_related("policy"))
    for group in groups:
        if group.name == roles.ADMIN:
            return True
        policy = getattr(group, "policy", None)
        if policy is not None and policy.mfa_required:
            return True
    return False


def user_has_totp(*, user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def role_groups() -> list[Group]:
    """The six roles in display order, each with its policy."""
    by_name = {g.name: g for g in Group.objects.filter(name__in=roles.ROLE_ORDER).select_related("policy")}
    return [by_name[code] for code in roles.ROLE_ORDER if code in by_name]


def role_policies() -> list[dict[str, Any]]:
    """One row per role: code, label, whether MFA is required and whether that is fixed."""
    rows = []
    for group in role_groups():
        try:
            required = group.policy.mfa_required
        except RolePolicy.DoesNotExist:
            required = False
        fixed = group.name == roles.ADMIN
        rows.append(
            {
                "group": group,
                "code": group.name,
                "label": roles.role_label(group.name),
                "mfa_required": required or fixed,
                "fixed": fixed,
            }
        )
    return rows


def staff_list(*, include_inactive: bool = True) -> QuerySet[User]:
    """Staff with their roles and MFA status (``has_totp``) in a fixed number of queries."""
    qs = User.objects.annotate(
        has_totp=Exists(Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP))
    ).prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("id")))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "email")


def staff_get(*, pk: int) -> User:
    return User.objects.prefetch_related("groups").get(pk=pk)


def active_admin_count() -> int:
    return User.objects.filter(is_active=True, groups__name=roles.ADMIN).distinct().count()


def invitation_pending(*, user: User) -> bool:
    """Invited but has not set a password yet."""
    return user.is_active and not user.has_usable_password()


def _today_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def staff_counts() -> dict[str, int]:
    """Figures for the admin dashboard (real queries)."""
    since = _today_start()
    return {
        "active_staff": User.objects.filter(is_active=True).count(),
        "pending_invitations": User.objects.filter(is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX).count(),
        "sign_ins_today": AuditEntry.objects.filter(action=audit.LOGIN_SUCCESS, at__gte=since).count(),
        "failed_sign_ins_today": AuditEntry.objects.filter(action=audit.LOGIN_FAILED, at__gte=since).count(),
    }


def audit_entries_today() -> int:
    return AuditEntry.objects.filter(at__gte=_today_start()).count()


def audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor").order_by("-at", "-id")


def audit_actors() -> QuerySet[User]:
    return User.objects.order_by("email")
