"""Pages of broadcasts (thin: parse, call a service, render). Permissions: portal.access.

The action buttons (承認を申請, 承認する, 中止, …) are not here: their POST views are
generated from the table (``workflow.py``, ``portal.workflow.page_urls``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from accounts.roles import Perm
from portal import access
from portal.context import AuditContext
from portal.errors import DomainError, page_error
from portal.line import dimensions as line_dimensions
from portal.line.language import NAMES, TRANSLATION_LANGUAGES
from portal.pages import refused_page

from . import disaster, privacy, progress, results, selectors, services, staff_line
from .forms import parse_local_datetime
from .models import MAX_BUBBLES, TEXT_MAX, Broadcast, BroadcastImage
from .workflow import TEST_SEND, WORKFLOW, may

if TYPE_CHECKING:
    from accounts.models import User

S = Broadcast.Status


def _me(request: HttpRequest) -> User:
    """The signed-in staff member: every view here declares a permission, checked first."""
    return cast("User", request.user)


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _dimension_filters(post: QueryDict) -> dict[str, list[int]]:
    """The compose form's admin-defined dimensions: one checkbox group ``dim_<id>`` each."""
    return {
        key.removeprefix("dim_"): _int_list(post.getlist(key))
        for key in post
        if key.startswith("dim_") and key.removeprefix("dim_").isdigit() and _int_list(post.getlist(key))
    }


def _compose_payload(request: HttpRequest, broadcast: Broadcast | None) -> tuple[dict[str, Any], list[str]]:
    """What the compose form says, and every problem found in it (all at once). Images
    uploaded with the form are stored even when something else is wrong, so the re-shown
    form keeps them."""
    post = request.POST
    errors: list[str] = []
    bubbles: list[dict[str, Any]] = []
    existing = {b.position: b for b in broadcast.bubbles.all()} if broadcast else {}
    for i in range(MAX_BUBBLES):
        kind = post.get(f"bubble-{i}-type", "")
        if kind == "text":
            translations = {c: post.get(f"bubble-{i}-text-{c}", "") for c in TRANSLATION_LANGUAGES}
            bubbles.append({"type": "text", "text": post.get(f"bubble-{i}-text", ""), "translations": translations})
        elif kind == "image":
            image = None
            upload = request.FILES.get(f"bubble-{i}-image")
            if upload is not None:
                try:
                    image = services.image_upload(data=upload.read(), actor=_me(request))
                except DomainError as exc:
                    errors += [_("吹き出し%(n)s: %(error)s") % {"n": i + 1, "error": e} for e in exc.messages]
            if image is None:
                image_id = post.get(f"bubble-{i}-image-id", "")
                image = BroadcastImage.objects.filter(pk=int(image_id)).first() if image_id.isdigit() else None
            if image is None and i in existing and existing[i].image_id:
                image = existing[i].image
            if image is not None:
                bubbles.append({"type": "image", "image": image})
    scheduled_at = None
    if post.get("timing") == "scheduled":
        # 予約日時 counts only for 予約配信 (a time typed before switching back is ignored).
        try:
            scheduled_at = parse_local_datetime(post.get("scheduled_at"))
            if scheduled_at is None:
                errors.append(_("予約配信を選んだときは予約日時を入力してください。"))
        except DomainError as exc:
            errors += exc.messages
    payload = {
        "title": post.get("title", ""),
        "kind": post.get("kind", Broadcast.Kind.NORMAL),
        "audience": post.get("audience", Broadcast.Audience.ALL),
        "age_bands": post.getlist("age_bands"),
        "area_ids": _int_list(post.getlist("area_ids")),
        "interest_ids": _int_list(post.getlist("interest_ids")),
        "dimension_filters": _dimension_filters(post),
        "exclude_broadcast_id": int(post["exclude_broadcast"]) if post.get("exclude_broadcast", "").isdigit() else None,
        "scheduled_at": scheduled_at,
        "bubbles": bubbles,
    }
    return payload, errors


def _form_state(
    broadcast: Broadcast | None,
    payload: dict[str, Any] | None,
    post: QueryDict | None = None,
    template: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The values the compose form shows: what was just posted (an error re-shows the form
    with nothing lost), else the stored broadcast, else a 災害 template or blanks."""
    state: dict[str, Any]
    if payload is not None:
        assert post is not None
        stored_bubbles = payload["bubbles"]
        state = {
            "title": payload["title"],
            "audience": payload["audience"],
            "age_bands": [str(b) for b in payload["age_bands"]],
            "area_ids": payload["area_ids"],
            "interest_ids": payload["interest_ids"],
            "dimension_filters": payload["dimension_filters"],
            "exclude_broadcast_id": payload["exclude_broadcast_id"],
            "timing": "scheduled" if post.get("timing") == "scheduled" else "now",
            "scheduled_at": post.get("scheduled_at", ""),
        }
    elif broadcast is not None:
        stored_bubbles = [
            {"type": b.type, "text": b.text, "image": b.image, "translations": b.translations}
            for b in broadcast.bubbles.select_related("image")
        ]
        when = timezone.localtime(broadcast.scheduled_at).strftime("%Y-%m-%dT%H:%M") if broadcast.scheduled_at else ""
        state = {
            "title": broadcast.title,
            "audience": broadcast.audience,
            "age_bands": list(broadcast.age_bands),
            "area_ids": list(broadcast.area_ids),
            "interest_ids": list(broadcast.interest_ids),
            "dimension_filters": dict(broadcast.dimension_filters or {}),
            "exclude_broadcast_id": broadcast.exclude_broadcast_id,
            "timing": "scheduled" if broadcast.scheduled_at else "now",
            "scheduled_at": when,
        }
    else:
        stored_bubbles = [{"type": "text", "text": template["text"], "image": None}] if template else []
        state = {
            "title": template["title"] if template else "",
            "audience": Broadcast.Audience.ALL,
            "age_bands": [],
            "area_ids": [],
            "interest_ids": [],
            "dimension_filters": {},
            "exclude_broadcast_id": None,
            "timing": "now",
            "scheduled_at": "",
        }
    rows = []
    for i in range(MAX_BUBBLES):
        bubble = stored_bubbles[i] if i < len(stored_bubbles) else None
        rows.append(
            {
                "index": i,
                "type": bubble["type"] if bubble else ("text" if i == 0 else ""),
                "text": bubble.get("text", "") if bubble else "",
                "image": bubble.get("image") if bubble else None,
                "has_translations": any(((bubble or {}).get("translations") or {}).values()),
                "translations": [
                    {"code": c, "name": NAMES[c], "text": ((bubble or {}).get("translations") or {}).get(c, "")}
                    for c in TRANSLATION_LANGUAGES
                ],
            }
        )
    state["bubbles"] = rows
    return state


def _compose(request: HttpRequest, broadcast: Broadcast | None, *, emergency: bool = False) -> HttpResponse:
    errors: list[str] = []
    payload = None
    emergency = emergency or (broadcast is not None and broadcast.is_emergency)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        payload, errors = _compose_payload(request, broadcast)
        if emergency:
            payload["kind"] = Broadcast.Kind.EMERGENCY
        ctx = AuditContext.from_request(request)
        if not errors:
            try:
                broadcast = services.broadcast_save(actor=_me(request), broadcast=broadcast, ctx=ctx, **payload)
            except DomainError as exc:
                errors = exc.messages
        if not errors:
            assert broadcast is not None
            if action in {"submit", "test"}:
                # The compose page's own buttons run the table's action on the saved draft.
                name = "submit" if action == "submit" else "test_send"
                done = _run(request, name, broadcast, ctx)
                if action == "test" or not done:
                    return redirect("broadcasts:edit", pk=broadcast.pk)
            else:
                messages.success(request, _("下書きを保存しました。"))
            return redirect("broadcasts:detail", pk=broadcast.pk)
    template = None
    if emergency and broadcast is None and payload is None:
        template = disaster.template(request.GET.get("template", ""))
    form = _form_state(broadcast, payload, request.POST if payload is not None else None, template)
    choices = selectors.segment_choices()
    chosen = {str(k): {int(i) for i in v} for k, v in form["dimension_filters"].items()}
    context = {
        "broadcast": broadcast,
        "emergency": emergency,
        "form": form,
        "choices": choices,
        # Each admin-defined dimension with the options this draft has ticked.
        "dimension_fields": [
            {"dimension": d, "options": [(o.id, o.label, o.id in chosen.get(str(d.id), set())) for o in d.options]}
            for d in choices["dimensions"]
            if d.options
        ],
        "excludable": selectors.excludable_broadcasts()[:50],
        "errors": errors,
        "text_max": TEXT_MAX,
        "disaster_templates": disaster.TEMPLATES if emergency else [],
        "chosen_template": template["code"] if template else "",
        "friends_reach_text": privacy.friends_text() if emergency else "",
        "test_account": staff_line.account_status(user=_me(request)),
    }
    return render(request, "broadcasts/compose.html", context, status=400 if errors else 200)


@access.require(Perm.VIEW_BROADCASTS)
def broadcast_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in Broadcast.Status.values:
        status = None
    broadcasts = selectors.broadcast_list(status=status)[:200]
    return render(
        request,
        "broadcasts/list.html",
        {"broadcasts": broadcasts, "statuses": Broadcast.Status.choices, "current_status": status},
    )


@access.require(Perm.COMPOSE_BROADCAST)
def broadcast_new(request: HttpRequest) -> HttpResponse:
    return _compose(request, None)


@access.require(Perm.COMPOSE_BROADCAST)
def emergency_new(request: HttpRequest) -> HttpResponse:
    return _compose(request, None, emergency=True)


def _run(request: HttpRequest, name: str, broadcast: Broadcast, ctx: AuditContext) -> bool:
    """Run the table's action ``name`` from a form view; say what happened (or why not)."""
    action = WORKFLOW.action(name)
    try:
        result = WORKFLOW.run(name, broadcast, ctx=ctx)
    except DomainError as exc:
        page_error(request, exc)
        return False
    success = action.success(result) if callable(action.success) else action.success
    messages.success(request, str(success))
    return True


@access.require(Perm.COMPOSE_BROADCAST)
def broadcast_edit(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast, pk=pk)
    return refused_page(request, WORKFLOW, "edit", broadcast) or _compose(request, broadcast)


def _detail_context(request: HttpRequest, broadcast: Broadcast) -> dict[str, Any]:
    segment = selectors.Segment.of(broadcast)
    user = _me(request)
    # Until its recipients are frozen (the states it may be edited in), the reach is an estimate.
    estimated = WORKFLOW.can("edit", broadcast)
    estimate = privacy.estimate(segment, actor=user) if estimated and not broadcast.is_emergency else None
    edited = broadcast.editors.filter(user=user).exists() if user.is_authenticated else False
    can = {name: WORKFLOW.can(name, broadcast, user) for name in ("edit", "submit", "schedule", "send", "cancel", "delete")}
    # 再送 shows from 配信中 too, hidden until the live progress turns 一部失敗.
    can_retry = WORKFLOW.can("retry", broadcast, user) or (broadcast.status == S.SENDING and may("retry", user))
    can_approve = WORKFLOW.can("approve", broadcast, user) and broadcast.author_id != user.pk and not edited
    if not estimated:
        reach = ""
    elif broadcast.is_emergency or estimate is None:
        reach = privacy.friends_text()  # LINE's broadcast endpoint: every friend, 配信停止 included
    else:
        reach = estimate.text
    return {
        "broadcast": broadcast,
        "bubbles": list(broadcast.bubbles.select_related("image")),
        "comments": list(broadcast.comments.select_related("author")),
        "report": progress.progress_report(broadcast=broadcast),
        "results": results.broadcast_results(broadcast=broadcast),
        "estimate": estimate,
        "reach_text": reach,
        "segment_labels": _segment_labels(broadcast),
        "version": selectors.content_version(broadcast),
        "editors": [e.user.get_short_name() for e in broadcast.editors.select_related("user").order_by("first_edit_at", "pk")],
        "can_edit": can["edit"],
        "can_submit": can["submit"],
        # 今すぐ配信 and 予約 of an approved broadcast; 緊急配信 goes out on approval, never by hand.
        "can_send": can["send"] and not broadcast.is_emergency,
        "can_approve": can_approve,
        "edited_by_me": edited or broadcast.author_id == user.pk,
        "can_retry": can_retry,
        "can_test_send": WORKFLOW.can("test_send", broadcast, user),
        "can_delete": can["delete"],
        "can_cancel": can["cancel"],
        "test_account": staff_line.account_status(user=user),
        "is_live": broadcast.status == S.SENDING,
        # The 操作 card only where it can hold something (never an empty card on a finished one):
        # any of the table's actions but テスト配信 (its own card), and 承認/差し戻し whoever may not.
        "has_actions": any(can.values()) or can_retry or WORKFLOW.can("approve", broadcast, user),
    }


def _exclude_label(exclude: Broadcast | None) -> str:
    if exclude is None:
        return ""
    if exclude.finished_at:
        return f"{exclude.title}（{timezone.localtime(exclude.finished_at):%Y-%m-%d}）"
    return exclude.title


def _segment_labels(broadcast: Broadcast) -> dict[str, Any]:
    from portal.line.models import AgeBand, Area, Interest

    bands = dict(AgeBand.choices)
    exclude = broadcast.exclude_broadcast
    return {
        "age_bands": [str(bands.get(b, b)) for b in broadcast.age_bands],
        "areas": list(Area.objects.filter(pk__in=broadcast.area_ids).values_list("name", flat=True)),
        "interests": list(Interest.objects.filter(pk__in=broadcast.interest_ids).values_list("name", flat=True)),
        # [(性別, [女性]), (子どもの年代, [0〜2歳, 3〜5歳]), …]: OR inside each, AND across.
        "dimensions": line_dimensions.filter_labels(
            {int(k): v for k, v in (broadcast.dimension_filters or {}).items()} if broadcast.is_segment else {}
        ),
        "exclude": f"{exclude.title}（{exclude.finished_at:%Y-%m-%d}）"
        if exclude and exclude.finished_at
        else (exclude.title if exclude else ""),
    }


@access.require(Perm.VIEW_BROADCASTS)
def broadcast_detail(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast.objects.select_related("author", "approver"), pk=pk)
    return render(request, "broadcasts/detail.html", _detail_context(request, broadcast))


@access.require(Perm.VIEW_BROADCASTS)
@never_cache
@require_GET
def broadcast_progress(request: HttpRequest, pk: int) -> JsonResponse:
    broadcast = get_object_or_404(Broadcast, pk=pk)
    return JsonResponse(progress.progress_report(broadcast=broadcast))


@access.require(TEST_SEND)
@never_cache
def test_account(request: HttpRequest) -> HttpResponse:
    """テスト配信用LINEの連携: issue a one-time code to send from one's own LINE, or unlink."""
    code = ""
    if request.method == "POST":
        if request.POST.get("action") == "unlink":
            staff_line.staff_line_unlink(user=_me(request), ctx=AuditContext.from_request(request))
            messages.success(request, _("テスト配信用LINEの連携を解除しました。"))
            return redirect("broadcasts:test_account")
        code = staff_line.staff_line_code_issue(user=_me(request), ctx=AuditContext.from_request(request))
    back = request.GET.get("next", "")
    context = {
        "code": code,
        "test_account": staff_line.account_status(user=_me(request)),
        "demo": settings.DEBUG,
        "back": back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else "",
    }
    return render(request, "broadcasts/test_account.html", context)


@access.require(Perm.APPROVE_BROADCAST)
def approvals(request: HttpRequest) -> HttpResponse:
    """Mobile-friendly list of what waits for this approver (emergencies first): 起案者,
    申請日時, 配信予定人数 (rounded estimate), 予約日時."""
    rows = [
        {"broadcast": b, "estimate": privacy.estimate(selectors.Segment.of(b), actor=_me(request))}
        for b in selectors.pending_approval(user=_me(request))[:100]
    ]
    return render(request, "broadcasts/approvals.html", {"rows": rows})


@access.require(Perm.APPROVE_BROADCAST)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """One-screen approval (phone): tap 1 opens this page, tap 2 approves."""
    broadcast = get_object_or_404(Broadcast.objects.select_related("author", "exclude_broadcast"), pk=pk)
    return render(request, "broadcasts/review.html", _detail_context(request, broadcast))


@access.require(access.PUBLIC)
@cache_control(public=True, max_age=86400)
@require_GET
def media(request: HttpRequest, token: uuid.UUID, variant: str) -> FileResponse:
    """Broadcast images, public because LINE's servers fetch them; unguessable token."""
    if variant not in {"original", "preview"}:
        raise Http404
    image = BroadcastImage.objects.filter(token=token).first()
    if image is None:
        raise Http404
    field = image.original if variant == "original" else image.preview
    try:
        handle = default_storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")
