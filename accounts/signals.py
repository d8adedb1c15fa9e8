"""Audit sign-in, sign-out, failed sign-in and MFA changes.

allauth.mfa (65.x) sends ``authenticator_added`` / ``_removed`` / ``_reset`` with
``request``, ``user`` and ``authenticator``; each becomes one ``auth.mfa_changed`` entry."""

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from portal.context import AuditContext

from . import audit
from .services import audit_record


def _ctx(request: Any) -> AuditContext:
    """Who and from where, as far as the signal's ``request`` (if any) tells."""
    from portal.clientip import client_ip

    if request is None:
        return AuditContext.system()
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return AuditContext(actor=actor, ip=client_ip(request))


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=audit.LOGIN_SUCCESS, actor=user, ctx=_ctx(request), target=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=audit.LOGOUT, actor=user, ctx=_ctx(request), target=user)


def failed_login_account(credentials: dict) -> Any:
    """The account a failed sign-in named, or None. Only this is audited: never the typed
    text itself, which may be a password typed into the wrong box."""
    typed = str(credentials.get("email") or credentials.get("username") or "").strip()
    if not typed or "@" not in typed:
        return None
    return get_user_model().objects.filter(email__iexact=typed).first()


def audit_failed_login(*, request: HttpRequest | None, credentials: dict[str, Any], reason: str) -> None:
    account = failed_login_account(credentials)
    audit_record(
        action=audit.LOGIN_FAILED,
        actor=None,
        ctx=_ctx(request),
        target=account,
        target_type="accounts.user",
        detail={"reason": reason, "account_exists": account is not None},
    )


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    audit_failed_login(request=request, credentials=credentials, reason=kwargs.get("reason", "credentials"))


def _mfa_receiver(event: str) -> Any:
    def receive(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kwargs: Any) -> None:
        user = user or getattr(authenticator, "user", None)
        ctx = _ctx(request)
        audit_record(
            action=audit.MFA_CHANGED,
            actor=ctx.actor or user,
            ctx=ctx,
            target=user if user is not None and getattr(user, "pk", None) else None,
            detail={"event": event, "type": getattr(authenticator, "type", "")},
        )

    return receive


MFA_EVENTS = {"authenticator_added": "added", "authenticator_removed": "removed", "authenticator_reset": "reset"}
_receivers = {}
for _name, _event in MFA_EVENTS.items():
    _receivers[_name] = _mfa_receiver(_event)
    getattr(mfa_signals, _name).connect(_receivers[_name], dispatch_uid=f"accounts.audit.mfa.{_name}")


def _mfa_failed(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kwargs: Any) -> None:
    """A wrong TOTP or recovery code at sign-in (or re-authentication)."""
    audit_record(
        action=audit.LOGIN_FAILED,
        ctx=_ctx(request),
        target=user if user is not None and getattr(user, "pk", None) else None,
        detail={"reason": "mfa", "type": getattr(authenticator, "type", "")},
    )


mfa_signals.authentication_failed.connect(_mfa_failed, dispatch_uid="accounts.audit.mfa.failed")


def _password_receiver(via: str) -> Any:
    def receive(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
        if user is not None:
            audit_record(action=audit.PASSWORD_CHANGED, actor=user, ctx=_ctx(request), target=user, detail={"via": via})

    return receive


for _name, _via in {"password_changed": "change", "password_reset": "reset", "password_set": "set"}.items():
    _receivers[_name] = _password_receiver(_via)
    getattr(account_signals, _name).connect(_receivers[_name], dispatch_uid=f"accounts.audit.password.{_name}")
