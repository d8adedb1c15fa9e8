"""Staff management, role policies, invitations and the audit log (thin views). The
buttons on a staff member's page (deactivate, reactivate, reset MFA, resend the invitation)
are the staff-account table's actions (workflow.py), wired in urls.py."""

from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from portal import access
from portal.context import AuditContext
from portal.csv import csv_response
from portal.errors import DomainError
from portal.pages import found_or_404

from . import audit, roles, selectors, services
from .filters import AuditEntryFilter
from .forms import StaffEditForm, StaffInviteForm
from .models import User
from .roles import Perm
from .tokens import invitation_tokens
from .workflow import WORKFLOW

AUDIT_PAGE_SIZE = 50


@access.require(Perm.MANAGE_STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = list(selectors.staff_list())
    rows = [
        {
            "user": s,
            "roles": [roles.role_label(g.name) for g in s.groups.all()],
            "pending": selectors.invitation_pending(user=s),
        }
        for s in staff
    ]
    return render(request, "accounts/staff_list.html", {"rows": rows})


@access.require(Perm.MANAGE_STAFF)
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_invite(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                department=form.cleaned_data["department"],
                role_codes=form.cleaned_data["roles"],
                ctx=AuditContext.from_request(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(email)s に招待メールを送信しました。") % {"email": staff.email})
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_invite.html", {"form": form})


@access.require(Perm.MANAGE_STAFF)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = found_or_404(selectors.staff_get, pk=pk)
    current = [g.name for g in staff.groups.all() if g.name in roles.ROLE_ORDER]
    is_self = staff.pk == request.user.pk
    form = StaffEditForm(
        request.POST or None,
        initial={"email": staff.email, "full_name": staff.full_name, "department": staff.department, "roles": current},
        is_self=is_self,
    )
    if request.method == "POST" and form.is_valid():
        values = {
            "email": form.cleaned_data.get("email") or "",
            "full_name": form.cleaned_data["full_name"],
            "department": form.cleaned_data["department"],
            "role_codes": form.cleaned_data["roles"],
        }
        try:
            WORKFLOW.run("edit", staff, ctx=AuditContext.from_request(request), params=values)
        except DomainError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, str(WORKFLOW.action("edit").success))
            return redirect("accounts:staff_list")
    context = {
        "form": form,
        "staff": staff,
        "has_mfa": selectors.user_has_totp(user=staff),
        "pending": selectors.invitation_pending(user=staff),
        "is_self": is_self,
        "actions": {a.name for a in WORKFLOW.available(staff, request.user) if a.page},
    }
    return render(request, "accounts/staff_edit.html", context)


@access.require(Perm.MANAGE_STAFF)
def role_policies(request: HttpRequest) -> HttpResponse:
    rows = selectors.role_policies()
    if request.method == "POST":
        ctx = AuditContext.from_request(request)
        for row in rows:
            services.role_policy_set(group=row["group"], mfa_required=f"mfa_{row['code']}" in request.POST, ctx=ctx)
        messages.success(request, _("ロール設定を保存しました。"))
        return redirect("accounts:role_policies")
    return render(request, "accounts/role_policies.html", {"rows": rows})


@never_cache
@access.require(access.PUBLIC)
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: sets the password once; afterwards (or once expired) it is dead."""
    try:
        staff = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        staff = None
    if staff is None or not invitation_tokens.check_token(staff, token):
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = SetPasswordForm(staff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ctx = AuditContext.from_request(request)
        WORKFLOW.run("accept_invitation", staff, ctx=ctx, params={"password": form.cleaned_data["new_password1"]})
        messages.success(request, str(WORKFLOW.action("accept_invitation").success))
        return redirect("account_login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "staff": staff})


@access.require(Perm.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    filterset = AuditEntryFilter(request.GET or None, queryset=selectors.audit_entries(), request=request)
    page = Paginator(filterset.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "entries": [(e, audit.action_label(e.action), audit.target_label(e.target_type)) for e in page.object_list],
        "query": query.urlencode(),
    }
    return render(request, "accounts/audit_log.html", context)


@access.require(Perm.VIEW_AUDIT_LOG)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    filterset = AuditEntryFilter(request.GET or None, queryset=selectors.audit_entries(), request=request)
    entries = filterset.qs
    services.audit_export_record(filters=filterset.used_filters(), rows=entries.count(), ctx=AuditContext.from_request(request))
    header = [_("日時"), _("実行者"), _("操作"), _("操作コード"), _("対象の種類"), _("対象ID"), _("対象"), _("接続元IP")]

    def rows() -> Iterator[list]:
        for e in entries.iterator(chunk_size=2000):
            at = timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S")
            yield [at, e.actor_label, audit.action_label(e.action), e.action, e.target_type, e.target_id, e.target_repr, e.ip]

    return csv_response(filename=f"audit-log-{timezone.localdate():%Y%m%d}.csv", header=header, rows=rows())
