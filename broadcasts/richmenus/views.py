"""Rich-menu pages: the list, the builder (new / edit a draft), a menu's page with its
actions and segments, its image, and 災害時モード. Thin: forms in, services, selectors out."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.context import AuditContext
from portal.errors import DomainError, page_error
from portal.pages import refused_page
from portal.workflow import run_in_view

from . import selectors, services
from .forms import DisasterSwitchForm, MenuForm, SegmentForm
from .models import DisasterSwitch, RichMenu, SegmentLink
from .workflow import APPROVE, COMPOSE, DISASTER_MODE, VIEW, WORKFLOW

MAX_UPLOAD = 5 * 1024 * 1024  # read at most this much of an upload (LINE's limit is 1 MB)


@access.require(VIEW)
def menu_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "richmenus/list.html",
        {
            "menus": list(selectors.menu_list()),
            "disaster": selectors.disaster_mode(),
            "may_create": access.user_passes(request.user, COMPOSE),
        },
    )


def _builder_context(form: MenuForm, menu: RichMenu | None) -> dict:
    areas = menu.areas if menu is not None else []
    if form.is_bound:
        try:
            areas = json.loads(form.data.get("areas") or "[]")
        except ValueError:
            areas = []
    return {
        "form": form,
        "menu": menu,
        "areas_json": areas,
        "flows": [{"key": key, "label": label} for key, label in selectors.flow_choices()],
        "targets": [{"pk": pk, "name": name} for pk, name in selectors.switch_targets(exclude=menu.pk if menu else None)],
    }


def _upload(request: HttpRequest) -> bytes | None:
    file = request.FILES.get("image")
    if file is None:
        return None
    return file.read(MAX_UPLOAD + 1)


@access.require(COMPOSE)
def menu_new(request: HttpRequest) -> HttpResponse:
    form = MenuForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, menu = run_in_view(
            request,
            lambda ctx: services.richmenu_create(
                ctx=ctx,
                name=data["name"],
                chat_bar_text=data["chat_bar_text"],
                image=_upload(request) or b"",
                areas=data["areas"],
            ),
            success=_("下書きを保存しました。内容を確かめて「LINEに登録」を押してください。"),
        )
        if done:
            return redirect("richmenus:detail", pk=menu.pk)
    return render(request, "richmenus/builder.html", _builder_context(form, None))


@access.require(COMPOSE)
def menu_edit(request: HttpRequest, pk: int) -> HttpResponse:
    menu = get_object_or_404(RichMenu, pk=pk)
    if refused := refused_page(request, WORKFLOW, "edit", menu):
        return refused
    initial = {"name": menu.name, "chat_bar_text": menu.chat_bar_text}
    form = MenuForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, _menu = run_in_view(
            request,
            lambda ctx: services.richmenu_update(
                menu, ctx=ctx, name=data["name"], chat_bar_text=data["chat_bar_text"], areas=data["areas"], image=_upload(request)
            ),  # fmt: skip
            success=_("下書きを保存しました。"),
        )
        if done:
            return redirect("richmenus:detail", pk=pk)
    return render(request, "richmenus/builder.html", _builder_context(form, menu))


@access.require(VIEW)
def menu_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        menu = selectors.menu_detail(pk)
    except RichMenu.DoesNotExist:
        raise Http404 from None
    flows = dict(selectors.flow_choices())
    targets = dict(selectors.switch_targets())
    return render(
        request,
        "richmenus/detail.html",
        {
            "menu": menu,
            "state_label": WORKFLOW.label(menu.status),
            "actions": [a for a in WORKFLOW.available(menu, request.user) if a.page and a.name not in ("link_segment", "delete")],
            "may_delete": WORKFLOW.can("delete", menu, request.user),
            "may_edit": WORKFLOW.can("edit", menu, request.user),
            "may_link": WORKFLOW.can("link_segment", menu, request.user),
            "segment_form": SegmentForm(),
            "segments": selectors.segment_links(menu),
            "may_unlink": access.user_passes(request.user, APPROVE),
            "areas": [
                {**area, "flow_label": flows.get(area.get("flow", ""), ""), "target": targets.get(area.get("menu"), "")}
                for area in menu.areas
            ],  # fmt: skip
        },
    )


@access.require(VIEW)
def menu_image(request: HttpRequest, pk: int) -> HttpResponse:
    menu = get_object_or_404(RichMenu.objects.only("image", "image_type"), pk=pk)
    response = HttpResponse(bytes(menu.image), content_type=menu.image_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access.require(APPROVE)
@require_POST
def segment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(SegmentLink, pk=pk)
    run_in_view(request, lambda ctx: services.segment_link_remove(link, ctx=ctx),
                success=_("セグメントの表示を解除する処理を始めました。"))  # fmt: skip
    return redirect("richmenus:detail", pk=link.menu_id)


@access.require(DISASTER_MODE)
def disaster(request: HttpRequest) -> HttpResponse:
    """災害時モード: what is shown now, how long a switch will take, the switch, its progress."""
    current = selectors.disaster_mode()
    direction = DisasterSwitch.Direction.OFF if current else DisasterSwitch.Direction.ON
    latest = selectors.latest_switch()
    return render(
        request,
        "richmenus/disaster.html",
        {
            "current": current,
            "direction": direction,
            "estimate": services.disaster_estimate(direction=direction),
            "disaster_menu": RichMenu.objects.filter(status=RichMenu.Status.DISASTER).first(),
            "normal_menu": RichMenu.objects.filter(status=RichMenu.Status.DEFAULT).first(),
            "latest": latest,
            "progress": selectors.switch_progress(latest) if latest else None,
        },
    )


@access.require(DISASTER_MODE)
@require_POST
def disaster_switch(request: HttpRequest) -> HttpResponse:
    form = DisasterSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("「切り替えにかかる時間を確認しました」にチェックを入れてください。"))
        return redirect("richmenus:disaster")
    ctx = AuditContext.from_request(request)
    try:
        if form.cleaned_data["direction"] == "on":
            services.disaster_mode_on(ctx=ctx)
            messages.success(request, _("災害時モードに切り替えました。切り替えの進み具合はこの画面で確認できます。"))
        else:
            services.disaster_mode_off(ctx=ctx)
            messages.success(request, _("通常モードに戻しました。切り替えの進み具合はこの画面で確認できます。"))
    except DomainError as exc:
        page_error(request, exc)
    return redirect("richmenus:disaster")


@access.require(DISASTER_MODE)
def disaster_progress(request: HttpRequest) -> JsonResponse:
    latest = selectors.latest_switch()
    if latest is None:
        return JsonResponse({"status": "none"})
    return JsonResponse({"direction": latest.direction, **selectors.switch_progress(latest)})
