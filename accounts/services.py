"""Writes for staff accounts, role policies and the audit log. Every change is audited."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from allauth.mfa.models import Authenticator
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Now
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from portal.context import AuditContext
from portal.errors import Conflict, DomainError, NotAllowed

from . import audit, roles
from .models import AuditEntry, RolePolicy, User
from .tokens import invitation_timeout, invitation_tokens


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the audit log records it (portal.clientip: proxy-aware)."""
    from portal.clientip import client_ip as portal_client_ip

    return portal_client_ip(request)


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    ctx: AuditContext | None = None,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. ``target`` may be a model instance (its type, pk and str
    are recorded, so its ``__str__`` must carry no personal data) or omitted. ``ctx`` (the
    view's :class:`portal.context.AuditContext`) gives the actor and address (none: a task)."""
    if ctx is not None:
        actor = actor or ctx.actor
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
        ip=ctx.ip if ctx is not None else None,
        detail=detail or {},
    )


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs (values as shown in the
    audit log: str() of anything that is not a plain JSON scalar)."""

    def shown(value: Any) -> Any:
        return value if value is None or isinstance(value, bool | int | float | str) else str(value)

    return {
        name: [shown(before.get(name)), shown(after.get(name))]
        for name in sorted(set(before) | set(after))
        if shown(before.get(name)) != shown(after.get(name))
    }


def snapshot(instance: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited fields of a model instance, for ``field_changes`` before/after a save."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if not f.primary_key]
    return {name: getattr(instance, name) for name in names}


def audit_changes(
    *,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: User | None = None,
    ctx: AuditContext | None = None,
    target: Any = None,
    extra: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Audit a change as a field diff (``detail["changes"] = {field: [old, new]}``). Writes
    nothing when nothing changed. Never pass personal data of residents in before/after."""
    changes = field_changes(before, after)
    if not changes:
        return None
    return audit_record(action=action, actor=actor, ctx=ctx, target=target, detail={"changes": changes, **(extra or {})})


def _ordered_codes(codes: Iterable[str]) -> list[str]:
    wanted = set(codes)
    unknown = wanted - set(roles.ROLE_ORDER)
    if unknown:
        raise DomainError(
            _("不明なロールです: %(codes)s") % {"codes": ", ".join(sorted(unknown))},
            code="unknown_role",
            details={"roles": sorted(unknown)},
        )
    return [c for c in roles.ROLE_ORDER if c in wanted]


def _guard_last_admin(*, staff: User, losing_admin: bool) -> None:
    if not losing_admin:
        return
    from .selectors import active_admin_count

    if staff.is_active and staff.groups.filter(name=roles.ADMIN).exists() and active_admin_count() <= 1:
        raise Conflict(_("有効なシステム管理者が1人もいなくなるため、この変更はできません。"), code="last_admin")


def invitation_url(*, user: User, ctx: AuditContext | None = None) -> str:
    """The invitation link, on the address the inviting admin used (``ctx.base_url``), or
    PORTAL_BASE_URL outside a request."""
    path = reverse(
        "accounts:invitation_accept",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": invitation_tokens.make_token(user)},
    )
    base = ctx.base_url if ctx is not None and ctx.base_url else settings.PORTAL_BASE_URL
    return base.rstrip("/") + path


def staff_invitation_send(*, staff: User, ctx: AuditContext) -> None:
    """E-mail ``staff`` a single-use link that sets their password (expires, see tokens.py)."""
    context = {
        "staff": staff,
        "url": invitation_url(user=staff, ctx=ctx),
        "days": max(1, invitation_timeout() // 86400),
        "inviter": ctx.actor,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [staff.email])


@transaction.atomic
def staff_invite(
    *,
    email: str,
    full_name: str,
    department: str = "",
    role_codes: Iterable[str],
    ctx: AuditContext,
) -> User:
    """Create an account (招待中: no usable password) and send the invitation link."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(_("このメールアドレスの職員は既に登録されています。"), code="email_taken")
    codes = _ordered_codes(role_codes)
    staff = User(email=email, full_name=full_name.strip(), department=department.strip())
    staff.set_unusable_password()
    staff.save()
    staff.groups.set(Group.objects.filter(name__in=codes))
    audit_record(action=audit.STAFF_INVITED, ctx=ctx, target=staff, detail={"roles": codes})
    staff_invitation_send(staff=staff, ctx=ctx)
    return staff


def _require(action: str, staff: User) -> None:
    """The staff-account table (workflow.py) decides which states ``action`` may start from."""
    from .workflow import WORKFLOW

    WORKFLOW.require(action, staff)


def staff_invitation_resend(staff: User, *, ctx: AuditContext) -> User:
    """A new invitation link for a staff member who is still 招待中."""
    _require("resend_invitation", staff)
    audit_record(action=audit.STAFF_INVITED, ctx=ctx, target=staff, detail={"resent": True})
    staff_invitation_send(staff=staff, ctx=ctx)
    return staff


@transaction.atomic
def invitation_accept(staff: User, *, ctx: AuditContext, password: str) -> User:
    """Set the invited staff member's password (招待中 → 有効); the link stops working (the
    token hashes the password)."""
    _require("accept_invitation", staff)
    staff.set_password(password)
    staff.save(update_fields=["password"])
    audit_record(action=audit.PASSWORD_CHANGED, actor=staff, ctx=ctx, target=staff, detail={"via": "invitation"})
    return staff


@transaction.atomic
def staff_edit(
    staff: User, *, ctx: AuditContext, email: str = "", full_name: str, department: str, role_codes: Iterable[str]
) -> User:
    """The staff page's form as one change: sign-in address (another staff member's only),
    name and department, roles. Refused as a whole (nothing saved) when any part is."""
    if email and not (ctx.actor is not None and staff.pk == ctx.actor.pk):
        staff_set_email(staff=staff, email=email, ctx=ctx)
    staff_update(staff=staff, full_name=full_name, department=department, ctx=ctx)
    staff_set_roles(staff=staff, role_codes=role_codes, ctx=ctx)
    return staff


@transaction.atomic
def staff_update(*, staff: User, full_name: str, department: str, ctx: AuditContext) -> User:
    changes = {}
    for field, value in (("full_name", full_name.strip()), ("department", department.strip())):
        if getattr(staff, field) != value:
            changes[field] = value
            setattr(staff, field, value)
    if changes:
        staff.save(update_fields=list(changes))
        audit_record(action=audit.STAFF_UPDATED, ctx=ctx, target=staff, detail={"fields": sorted(changes)})
    return staff


def email_masked(email: str) -> str:
    """``ya***@example.jp``: enough for an auditor to tell addresses apart, not to read them."""
    local, _at, domain = str(email).partition("@")
    return f"{local[:2]}***@{domain}" if domain else "***"


@transaction.atomic
def staff_set_email(*, staff: User, email: str, ctx: AuditContext) -> User:
    """An admin changes another staff member's sign-in address (the only way it changes:
    allauth's own e-mail pages are closed). allauth's address rows follow, so sign-in and
    password resets use the new address only. Audited with both addresses masked."""
    from allauth.account.models import EmailAddress

    new = User.objects.normalize_email(email).strip().lower()
    if new == staff.email.lower():
        return staff
    if ctx.actor is not None and staff.pk == ctx.actor.pk:
        raise NotAllowed(_("自分のサインイン用メールアドレスは変更できません。別の管理者に依頼してください。"))
    if User.objects.filter(email__iexact=new).exclude(pk=staff.pk).exists():
        raise Conflict(_("このメールアドレスの職員は既に登録されています。"), code="email_taken")
    old = staff.email
    staff.email = new
    staff.save(update_fields=["email"])
    EmailAddress.objects.filter(user=staff).delete()
    EmailAddress.objects.create(user=staff, email=new, primary=True, verified=True)
    audit_record(
        action=audit.STAFF_UPDATED,
        ctx=ctx,
        target=staff,
        detail={"fields": ["email"], "email": {"changed": True, "before": email_masked(old), "after": email_masked(new)}},
    )
    return staff


@transaction.atomic
def staff_set_roles(*, staff: User, role_codes: Iterable[str], ctx: AuditContext) -> User:
    """Replace ``staff``'s roles (a staff member may hold several)."""
    new = _ordered_codes(role_codes)
    old = _ordered_codes(staff.groups.values_list("name", flat=True).filter(name__in=roles.ROLE_ORDER))
    if new == old:
        return staff
    _guard_last_admin(staff=staff, losing_admin=roles.ADMIN in old and roles.ADMIN not in new)
    staff.groups.set(Group.objects.filter(name__in=new))
    audit_record(action=audit.STAFF_ROLES_CHANGED, ctx=ctx, target=staff, detail={"before": old, "after": new})
    return staff


@transaction.atomic
def staff_deactivate(staff: User, *, ctx: AuditContext) -> User:
    """Disable sign-in (招待中/有効 → 無効); existing sessions stop working (inactive users
    are not loaded)."""
    if ctx.actor is not None and staff.pk == ctx.actor.pk:
        raise NotAllowed(_("自分自身は無効化できません。"))
    _require("deactivate", staff)
    _guard_last_admin(staff=staff, losing_admin=True)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    audit_record(action=audit.STAFF_DEACTIVATED, ctx=ctx, target=staff)
    return staff


@transaction.atomic
def staff_reactivate(staff: User, *, ctx: AuditContext) -> User:
    """無効 → 有効 (or back to 招待中 when no password was ever set)."""
    _require("reactivate", staff)
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit_record(action=audit.STAFF_UPDATED, ctx=ctx, target=staff, detail={"is_active": True})
    return staff


@transaction.atomic
def staff_mfa_reset(staff: User, *, ctx: AuditContext) -> User:
    """Remove every authenticator (TOTP, recovery codes); a role that requires MFA sends
    the staff member to TOTP set-up at their next sign-in. The audit entry names the types
    removed."""
    authenticators = Authenticator.objects.filter(user=staff)
    types = sorted(set(authenticators.values_list("type", flat=True)))
    authenticators.delete()
    audit_record(action=audit.STAFF_MFA_RESET, ctx=ctx, target=staff, detail={"removed": types})
    return staff


@transaction.atomic
def role_policy_set(*, group: Group, mfa_required: bool, ctx: AuditContext) -> RolePolicy:
    """Whether a role requires MFA. The admin role always does."""
    if group.name == roles.ADMIN:
        mfa_required = True
    policy, _created = RolePolicy.objects.get_or_create(group=group)
    if policy.mfa_required != mfa_required:
        policy.mfa_required = mfa_required
        policy.save(update_fields=["mfa_required"])
        audit_record(
            action=audit.ROLE_POLICY_CHANGED,
            ctx=ctx,
            target_type="auth.group",
            target_id=str(group.pk),
            target_repr=group.name,
            detail={"mfa_required": mfa_required},
        )
    return policy


def audit_export_record(*, filters: dict[str, Any], rows: int, ctx: AuditContext) -> AuditEntry:
    """The export of the audit log is itself audited (with the filters used)."""
    return audit_record(action=audit.AUDIT_EXPORTED, ctx=ctx, detail={"filters": filters, "rows": rows})


def roles_ensure(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Every role group with exactly the capabilities accounts.roles lists, and its policy if
    it has none (an admin's MFA choice is kept). Idempotent; run after every ``migrate`` and
    ``flush`` (post_migrate, accounts.apps), so the roles follow accounts.roles with no data
    migration. ``apps``: the registry post_migrate passes (the migrated state's models)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    policy_model = apps.get_model("accounts", "RolePolicy")
    with transaction.atomic(using=using):
        for code, codenames in roles.ROLE_CAPABILITIES.items():
            group, _created = group_model.objects.using(using).get_or_create(name=code)
            group.permissions.set(
                permission_model.objects.using(using).filter(content_type__app_label="accounts", codename__in=codenames)
            )
            policy_model.objects.using(using).get_or_create(group=group, defaults={"mfa_required": code == roles.ADMIN})


def audit_details_purge(cutoff: Any) -> dict[str, int]:
    """Retention of audit details (which may name what a staff member looked for, e.g. a
    lookup's stated reason): entries made before ``cutoff`` keep when, who, what action,
    which target and from where; their ``detail`` is replaced by ``{"purged": true}``.
    Set-based, in batches; entries already purged are skipped (idempotent)."""
    from .models import AUDIT_DETAIL_PURGED

    due = AuditEntry.objects.filter(at__lt=cutoff).exclude(detail=AUDIT_DETAIL_PURGED)
    if connection.vendor == "postgresql":
        # The trigger (migration 0002) lets only entries a year old by the database's own
        # clock be blanked: never ask for more, so one refused row cannot fail the whole job
        # when the application's clock runs ahead of the database's.
        db_year_ago = ExpressionWrapper(Now() - Value(dt.timedelta(days=AUDIT_DETAIL_MIN_DAYS)), output_field=DateTimeField())
        due = due.filter(at__lt=db_year_ago)
    total = 0
    while True:
        ids = list(due.order_by().values_list("pk", flat=True)[:2000])
        if not ids:
            return {"details_purged": total}
        total += AuditEntry.objects.filter(pk__in=ids).purge_details()


def audit_detail_retention_days() -> int:
    """``RETENTION_AUDIT_DETAIL_DAYS``, never under the year the PostgreSQL trigger keeps."""
    return max(int(settings.RETENTION_AUDIT_DETAIL_DAYS), AUDIT_DETAIL_MIN_DAYS)


AUDIT_DETAIL_MIN_DAYS = 365
