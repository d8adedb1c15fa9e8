"""Views of the LINE layer: the webhook LINE posts to, and staff pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.roles import Perm
from accounts.services import audit_changes, audit_record, field_changes, snapshot
from portal import access
from portal.context import AuditContext
from portal.errors import DomainError

from . import inbound, selectors, services
from .audit import AUDIT_RESIDENT_LOOKUP, AUDIT_SETTINGS_CHANGED
from .forms import AreaForm, DimensionForm, DimensionOptionForm, InterestForm, LineSettingsForm, ResidentLookupForm
from .models import Area, Dimension, DimensionOption, Interest, LineSettings
from .webhook import parse_callback, webhook_events_store

logger = logging.getLogger(__name__)


@csrf_exempt
@access.require(access.PUBLIC)
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """LINE's webhook: size, signature, nesting and every event's shape are checked on the
    raw body (``webhook.parse_callback``); a refused body is answered 4xx and nothing of it
    is stored. Every accepted event is stored before the 200 and processed by Celery."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > inbound.max_body_bytes():
            raise inbound.WebhookRefused(413, "request body too large")  # refused before reading it
        events = parse_callback(
            body=request.body,
            signature=request.headers.get("X-Line-Signature", ""),
            channel_secret=settings.LINE_CHANNEL_SECRET,
        )
    except inbound.WebhookRefused as refused:
        logger.warning("webhook body refused (%s): %s", refused.status, refused.reason)
        return JsonResponse({"message": refused.reason}, status=refused.status)
    webhook_events_store(events=events)
    return JsonResponse({})


# -- staff pages ------------------------------------------------------------------------------
@access.require(Perm.VIEW_AUDIENCE)
def audience(request: HttpRequest) -> HttpResponse:
    """Subscriber totals and breakdowns; every count below 50 is 「50人未満」."""
    return render(request, "line/audience.html", {"summary": selectors.audience_summary()})


@never_cache
@access.require(Perm.LOOKUP_RESIDENT)
def resident_lookup(request: HttpRequest) -> HttpResponse:
    """Admin-only lookup of individual residents; the terms travel in the POST body and
    every lookup is audited."""
    results = None
    form = ResidentLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        found = selectors.resident_lookup(
            line_user_id=form.cleaned_data["line_user_id"], display_name=form.cleaned_data["display_name"]
        )
        audit_record(
            action=AUDIT_RESIDENT_LOOKUP,
            ctx=AuditContext.from_request(request),
            target_type="line.resident",
            target_id=",".join(str(r.pk) for r in found)[:200],
            target_repr=_("住民{count}件").format(count=len(found)),
            detail={
                "by": "line_user_id" if form.cleaned_data["line_user_id"] else "display_name",
                "matched": len(found),
                "resident_ids": [r.pk for r in found],
                "reason": form.cleaned_data["reason"],
            },
        )
        results = [{"resident": r, "interests": selectors.interest_names(r)} for r in found]
    return render(request, "line/lookup.html", {"form": form, "results": results})


@access.require(Perm.MANAGE_SETTINGS)
def settings_index(request: HttpRequest) -> HttpResponse:
    row = LineSettings.current()
    form = LineSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        before = snapshot(LineSettings.current(), ["blocked_retention_days"])
        saved = services.line_settings_update(blocked_retention_days=form.cleaned_data["blocked_retention_days"])
        # The retention period itself: audited as old → new (nothing written if unchanged).
        audit_changes(
            action=AUDIT_SETTINGS_CHANGED,
            before=before,
            after=snapshot(saved, ["blocked_retention_days"]),
            ctx=AuditContext.from_request(request),
            target=saved,
        )
        messages.success(request, _("設定を保存しました。"))
        return redirect("line:settings")
    return render(
        request,
        "line/settings.html",
        {"form": form, "areas": selectors.areas_with_boundary_flag(), "interests": Interest.objects.all()},
    )


def _edit(request: HttpRequest, form_class: type[ModelForm], instance: Model | None, heading: str) -> HttpResponse:
    form = form_class(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = list(form_class.Meta.fields)  # type: ignore[attr-defined]  # a ModelForm class
        before = snapshot(type(instance).objects.get(pk=instance.pk), fields) if instance is not None else {}  # type: ignore[attr-defined]
        saved = form.save()
        # What residents choose from in 受信設定: audited as a field diff (a new row: all its fields).
        changes = field_changes(before, snapshot(saved, fields))
        detail = {"changes": changes, **({} if before else {"created": True})}
        audit_record(action=AUDIT_SETTINGS_CHANGED, ctx=AuditContext.from_request(request), target=saved, detail=detail)
        messages.success(request, _("保存しました。"))
        return redirect("line:settings")
    return render(request, "line/edit.html", {"form": form, "heading": heading})


@access.require(Perm.MANAGE_SETTINGS)
def area_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, AreaForm, None, _("地域を追加"))


@access.require(Perm.MANAGE_SETTINGS)
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, AreaForm, get_object_or_404(Area, pk=pk), _("地域を編集"))


@access.require(Perm.MANAGE_SETTINGS)
def interest_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, InterestForm, None, _("関心分野を追加"))


@access.require(Perm.MANAGE_SETTINGS)
def interest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, InterestForm, get_object_or_404(Interest, pk=pk), _("関心分野を編集"))


# -- segment dimensions ---------------------------------------------------------------------
@access.require(Perm.MANAGE_SETTINGS)
def dimensions(request: HttpRequest) -> HttpResponse:
    """The attributes residents declare in 受信設定, in the order they are asked."""
    return render(request, "line/dimensions.html", {"dimensions": selectors.dimensions_overview()})


def _dimension_page(request: HttpRequest, dimension: Dimension | None) -> HttpResponse:
    builtin = bool(dimension and dimension.builtin)
    initial = (
        {"name": dimension.name, "question": dimension.question, "kind": dimension.kind, "is_active": dimension.is_active}
        if dimension is not None
        else {"kind": Dimension.Kind.SINGLE, "is_active": True}
    )
    form = DimensionForm(request.POST or None, initial=initial, builtin=builtin)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.dimension_save(ctx=AuditContext.from_request(request), dimension=dimension, values=form.cleaned_data)
        except DomainError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        else:
            messages.success(request, _("保存しました。"))
            if dimension is None and not saved.builtin:
                messages.info(request, _("続けて選択肢を追加してください。"))
            return redirect("line:dimension_edit", pk=saved.pk)
    options = list(dimension.options.all()) if dimension is not None and not builtin else []
    heading = _("属性を追加") if dimension is None else _("属性を編集：%(name)s") % {"name": dimension.name}
    return render(
        request, "line/dimension_edit.html", {"form": form, "dimension": dimension, "options": options, "heading": heading}
    )


@access.require(Perm.MANAGE_SETTINGS)
def dimension_create(request: HttpRequest) -> HttpResponse:
    return _dimension_page(request, None)


@access.require(Perm.MANAGE_SETTINGS)
def dimension_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _dimension_page(request, get_object_or_404(Dimension, pk=pk))


def _direction(request: HttpRequest) -> str:
    return "up" if request.POST.get("direction") == "up" else "down"


@access.require(Perm.MANAGE_SETTINGS)
@require_POST
def dimension_move(request: HttpRequest, pk: int) -> HttpResponse:
    dimension = get_object_or_404(Dimension, pk=pk)
    services.dimension_move(ctx=AuditContext.from_request(request), dimension=dimension, direction=_direction(request))
    messages.success(request, _("「%(name)s」の順番を変更しました。") % {"name": dimension.name})
    return redirect("line:dimensions")


def _option_page(request: HttpRequest, dimension: Dimension, option: DimensionOption | None) -> HttpResponse:
    if dimension.builtin:
        raise Http404
    initial = {"label": option.label, "is_active": option.is_active} if option is not None else {"is_active": True}
    form = DimensionOptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.option_save(
                ctx=AuditContext.from_request(request), dimension=dimension, option=option, values=form.cleaned_data
            )
        except DomainError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        else:
            messages.success(request, _("保存しました。"))
            return redirect("line:dimension_edit", pk=dimension.pk)
    heading = _("選択肢を追加：%(name)s") if option is None else _("選択肢を編集：%(name)s")
    return render(
        request,
        "line/edit.html",
        {
            "form": form,
            "heading": heading % {"name": dimension.name},
            "back": reverse("line:dimension_edit", args=[dimension.pk]),
        },
    )


@access.require(Perm.MANAGE_SETTINGS)
def option_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _option_page(request, get_object_or_404(Dimension, pk=pk), None)


@access.require(Perm.MANAGE_SETTINGS)
def option_edit(request: HttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(DimensionOption.objects.select_related("dimension"), pk=pk)
    return _option_page(request, option.dimension, option)


@access.require(Perm.MANAGE_SETTINGS)
@require_POST
def option_move(request: HttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(DimensionOption, pk=pk)
    services.option_move(ctx=AuditContext.from_request(request), option=option, direction=_direction(request))
    messages.success(request, _("「%(label)s」の順番を変更しました。") % {"label": option.label})
    return redirect("line:dimension_edit", pk=option.dimension_id)
