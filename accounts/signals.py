"""Audit sign-in, sign-out, failed sign-in and MFA changes."""

from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=audit.LOGIN_SUCCESS, actor=user, request=request, target=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=audit.LOGOUT, actor=user, request=request, target=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # The attempted email is staff data, not residents' data; it helps spot attacks.
    email = str(credentials.get("email") or credentials.get("username") or "")[:200]
    known = get_user_model().objects.filter(email__iexact=email).first() if email else None
    audit_record(
        action=audit.LOGIN_FAILED,
        actor=None,
        request=request,
        target_type="accounts.user",
        target_id=str(known.pk) if known else "",
        target_repr=email,
    )


def _mfa_changed(sender: Any, request: Any, authenticator: Any = None, **kwargs: Any) -> None:
    user = getattr(authenticator, "user", None) or getattr(request, "user", None)
    audit_record(
        action=audit.MFA_CHANGED,
        actor=request.user if request and request.user.is_authenticated else None,
        request=request,
        target=user if user is not None and getattr(user, "pk", None) else None,
        detail={"event": kwargs.get("signal_name", ""), "type": getattr(authenticator, "type", "")},
    )


for _name in ("authenticator_added", "authenticator_removed", "authenticator_reset"):
    _signal = getattr(mfa_signals, _name, None)
    if _signal is not None:
        _signal.connect(
            lambda sender, request=None, authenticator=None, _n=_name, **kw: _mfa_changed(
                sender, request, authenticator, signal_name=_n, **kw
            ),
            weak=False,
        )
