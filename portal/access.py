"""Every view and API endpoint declares the permission it needs; this module enforces it.

A declaration is one of:
- ``PUBLIC``: no sign-in (sign-in pages, the LINE webhook, which checks its own signature,
  residents' signed links, the Open311 API with its own keys);
- ``AUTHENTICATED``: any signed-in, active staff member;
- a permission string such as ``"accounts.manage_staff"`` (see ``accounts.roles.Perm``);
- a tuple of permission strings: any one of them suffices.

tests/test_access_matrix.py walks every URL pattern and fails when one declares nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

PUBLIC = "public"
AUTHENTICATED = "authenticated"

ATTRIBUTE = "portal_permission"


Permission = str | tuple[str, ...]


def user_passes(user: Any, permission: Permission) -> bool:
    """Whether ``user`` satisfies the declared ``permission``."""
    if isinstance(permission, tuple):
        return any(user_passes(user, one) for one in permission)
    if permission == PUBLIC:
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    if permission == AUTHENTICATED:
        return True
    return user.has_perm(permission)


def _check(request: HttpRequest, permission: Permission) -> HttpResponse | None:
    if user_passes(request.user, permission):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def require(permission: Permission) -> Callable:
    """Decorator for function views: declare and enforce ``permission``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            denied = _check(request, permission)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        setattr(wrapped, ATTRIBUTE, permission)
        return wrapped

    return decorator


class PermissionRequiredMixin:
    """Mixin for class-based views: set ``portal_permission`` on the class."""

    portal_permission: Permission | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.portal_permission is None:
            raise PermissionDenied  # undeclared: deny, and the matrix test fails
        denied = _check(request, self.portal_permission)
        if denied is not None:
            return denied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class DeclaredPermission(BasePermission):
    """DRF permission class (the default): reads ``portal_permission`` from the view."""

    def has_permission(self, request: Any, view: Any) -> bool:
        permission = getattr(view, ATTRIBUTE, None)
        if permission is None:
            return False
        return user_passes(request.user, permission)


def declared_permission(callback: Callable) -> Permission | None:
    """The permission a resolved URL callback declares, or None when it declares none."""
    for owner in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        if owner is not None and getattr(owner, ATTRIBUTE, None):
            return getattr(owner, ATTRIBUTE)
    return None
