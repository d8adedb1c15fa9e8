"""Reads about staff accounts."""

from typing import Any

from allauth.mfa.models import Authenticator

from . import roles


def user_requires_mfa(*, user: Any) -> bool:
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


def user_has_totp(*, user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
