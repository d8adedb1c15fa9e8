"""Pages of broadcasts (thin: parse, call a service, render). Permissions: portal.access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Perm
from portal import access

from . import privacy, selectors, services
from .models import MAX_BUBBLES, TEXT_MAX, Broadcast, BroadcastImage


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def parse_local_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError(_("日時の形式が正しくありません。"), code="bad_time")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _compose_payload(request: HttpRequest, broadcast: Broadcast | None) -> dict[str, Any]:
    post = request.POST
    bubbles: list[dict] = []
    existing = {b.position: b for b in broadcast.bubbles.all()} if broadcast else {}
    for i in range(MAX_BUBBLES):
        kind = post.get(f"bubble-{i}-type", "")
        if kind == "text":
            bubbles.append({"type": "text", "text": post.get(f"bubble-{i}-text", "")})
        elif kind == "image":
            upload = request.FILES.get(f"bubble-{i}-image")
            if upload is not None:
                image = services.image_upload(data=upload.read(), actor=request.user)
            else:
                image_id = post.get(f"bubble-{i}-image-id", "")
                image = BroadcastImage.objects.filter(pk=int(image_id)).first() if image_id.isdigit() else None
                if image is None and i in existing and existing[i].image_id:
                    image = existing[i].image
            if image is not None:
                bubbles.append({"type": "image", "image": image})
    return {
        "title": post.get("title", ""),
        "kind": post.get("kind", Broadcast.Kind.NORMAL),
        "audience": post.get("audience", Broadcast.Audience.ALL),
        "age_bands": post.getlist("age_bands"),
        "area_ids": _int_list(post.getlist("area_ids")),
        "interest_ids": _int_list(post.getlist("interest_ids")),
        "exclude_broadcast_id": int(post["exclude_broadcast"]) if post.get("exclude_broadcast", "").isdigit() else None,
        "scheduled_at": parse_local_datetime(post.get("scheduled_at")) if post.get("timing") == "scheduled" else None,
        "bubbles": bubbles,
    }


def _bubble_rows(broadcast: Broadcast | None) -> list[dict]:
    rows = []
    stored = list(broadcast.bubbles.select_related("image")) if broadcast else []
    for i in range(MAX_BUBBLES):
        bubble = stored[i] if i < len(stored) else None
        rows.append(
            {
                "index": i,
                "type": bubble.type if bubble else ("text" if i == 0 else ""),
                "text": bubble.text if bubble else "",
                "image": bubble.image if bubble else None,
            }
        )
    return rows


def _compose(request: HttpRequest, broadcast: Broadcast | None, *, emergency: bool = False) -> HttpResponse:
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            payload = _compose_payload(request, broadcast)
            if emergency:
                payload["kind"] = Broadcast.Kind.EMERGENCY
            broadcast = services.broadcast_save(actor=request.user, broadcast=broadcast, request=request, **payload)
            if action == "submit":
                try:
                    services.broadcast_submit(broadcast=broadcast, actor=request.user, request=request)
                except ValidationError as exc:
                    messages.error(request, " ".join(_errors(exc)))
                    return redirect("broadcasts:edit", pk=broadcast.pk)
                messages.success(request, _("承認を申請しました。"))
            elif action == "test":
                try:
                    services.broadcast_test_send(broadcast=broadcast, actor=request.user, request=request)
                    messages.success(request, _("テスト配信を送信しました。"))
                except ValidationError as exc:
                    messages.error(request, " ".join(_errors(exc)))
                return redirect("broadcasts:edit", pk=broadcast.pk)
            else:
                messages.success(request, _("下書きを保存しました。"))
            return redirect("broadcasts:detail", pk=broadcast.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    context = {
        "broadcast": broadcast,
        "emergency": emergency or (broadcast is not None and broadcast.is_emergency),
        "bubbles": _bubble_rows(broadcast),
        "choices": selectors.segment_choices(),
        "excludable": selectors.excludable_broadcasts()[:50],
        "errors": errors,
        "text_max": TEXT_MAX,
        "post": request.POST if request.method == "POST" else None,
        "has_test_account": bool(getattr(request.user, "line_test_user_id", "")),
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


@access.require(Perm.COMPOSE_BROADCAST)
def broadcast_edit(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast, pk=pk)
    if not broadcast.is_editable:
        messages.error(request, _("配信を開始した後は編集できません。"))
        return redirect("broadcasts:detail", pk=pk)
    return _compose(request, broadcast)


_ESTIMATED = {
    Broadcast.Status.DRAFT,
    Broadcast.Status.RETURNED,
    Broadcast.Status.PENDING,
    Broadcast.Status.APPROVED,
    Broadcast.Status.SCHEDULED,
}


def _detail_context(request: HttpRequest, broadcast: Broadcast) -> dict:
    segment = selectors.Segment.of(broadcast)
    progress = selectors.broadcast_progress(broadcast=broadcast)
    user = request.user
    estimate = privacy.estimate(segment, actor=user) if broadcast.status in _ESTIMATED else None
    edited = broadcast.editors.filter(user=user).exists() if user.is_authenticated else False
    return {
        "broadcast": broadcast,
        "bubbles": list(broadcast.bubbles.select_related("image")),
        "comments": list(broadcast.comments.select_related("author")),
        "progress": progress,
        "progress_text": _progress_texts(broadcast, progress),
        "estimate": estimate,
        "reach_text": estimate.text if estimate else "",
        "segment_labels": _segment_labels(broadcast),
        "version": services.content_version(broadcast),
        "editors": [e.user.get_short_name() for e in broadcast.editors.select_related("user").order_by("first_edit_at", "pk")],
        "can_compose": user.has_perm(Perm.COMPOSE_BROADCAST),
        "can_approve": user.has_perm(Perm.APPROVE_BROADCAST) and broadcast.author_id != user.pk and not edited,
        "edited_by_me": edited or broadcast.author_id == user.pk,
        "can_retry": user.has_perm(Perm.APPROVE_BROADCAST),
        "is_live": broadcast.status == Broadcast.Status.SENDING,
    }


def _exclude_label(exclude: Broadcast | None) -> str:
    if exclude is None:
        return ""
    if exclude.finished_at:
        return f"{exclude.title}（{timezone.localtime(exclude.finished_at):%Y-%m-%d}）"
    return exclude.title


def _segment_labels(broadcast: Broadcast) -> dict:
    from portal.line.models import AgeBand, Area, Interest

    bands = dict(AgeBand.choices)
    exclude = broadcast.exclude_broadcast
    return {
        "age_bands": [str(bands.get(b, b)) for b in broadcast.age_bands],
        "areas": list(Area.objects.filter(pk__in=broadcast.area_ids).values_list("name", flat=True)),
        "interests": list(Interest.objects.filter(pk__in=broadcast.interest_ids).values_list("name", flat=True)),
        "exclude": f"{exclude.title}（{exclude.finished_at:%Y-%m-%d}）"
        if exclude and exclude.finished_at
        else (exclude.title if exclude else ""),
    }


def _progress_texts(broadcast: Broadcast, progress: selectors.Progress) -> dict:
    """The progress JSON (and the detail page): residents only as rounded noisy figures
    and whole-number percentages (privacy.sent_figures), never exact counts."""
    figures = privacy.sent_figures(
        broadcast=broadcast,
        batches_total=progress.batches_total,
        batches_done=progress.batches_done,
        batches_failed=progress.batches_failed,
    )
    return {
        "status": broadcast.get_status_display(),
        "status_code": broadcast.status,
        "halt_reason": broadcast.get_halt_reason_display() if broadcast.halt_reason else "",
        "batches_total": progress.batches_total,
        "batches_done": progress.batches_done,
        "batches_failed": progress.batches_failed,
        "batches_pending": progress.batches_pending,
        "recipients_total": figures.total_text,
        "recipients_reached": figures.reached_text,
        "recipients_failed": figures.failed_text,
        "percent_done": figures.percent_done,
        "percent_reached": figures.percent_reached,
        "percent_failed": figures.percent_failed,
        "summary": figures.summary,
        "finished": broadcast.status not in {Broadcast.Status.SENDING},
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
    return JsonResponse(_progress_texts(broadcast, selectors.broadcast_progress(broadcast=broadcast)))


def _action(request: HttpRequest, pk: int, run) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast, pk=pk)
    try:
        note = run(broadcast)
        if note:
            messages.success(request, note)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("この操作を行う権限がありません。"))
    target = request.POST.get("next", "")
    if target == "review":
        return redirect("broadcasts:review", pk=pk)
    return redirect("broadcasts:detail", pk=pk)


@access.require(Perm.COMPOSE_BROADCAST)
@require_POST
def broadcast_submit(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_submit(broadcast=b, actor=request.user, request=request)
        return _("承認を申請しました。")

    return _action(request, pk, run)


@access.require(Perm.APPROVE_BROADCAST)
@require_POST
def broadcast_approve(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        b = services.broadcast_approve(
            broadcast=b,
            approver=request.user,
            version=request.POST.get("version", ""),
            comment=request.POST.get("comment", ""),
            request=request,
        )
        return _("緊急配信を承認し、配信を開始しました。") if b.is_emergency else _("承認しました。")

    return _action(request, pk, run)


@access.require(Perm.APPROVE_BROADCAST)
@require_POST
def broadcast_return(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_return(broadcast=b, approver=request.user, comment=request.POST.get("comment", ""), request=request)
        return _("差し戻しました。")

    return _action(request, pk, run)


@access.require(Perm.COMPOSE_BROADCAST)
@require_POST
def broadcast_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        when = parse_local_datetime(request.POST.get("scheduled_at"))
        if when is None:
            raise ValidationError(_("予約日時を入力してください。"))
        services.broadcast_schedule(broadcast=b, actor=request.user, scheduled_at=when, request=request)
        return _("配信を予約しました。")

    return _action(request, pk, run)


@access.require(Perm.COMPOSE_BROADCAST)
@require_POST
def broadcast_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_cancel(broadcast=b, actor=request.user, request=request)
        return _("配信を中止しました。")

    return _action(request, pk, run)


@access.require(Perm.COMPOSE_BROADCAST)
@require_POST
def broadcast_send(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_send(broadcast=b, actor=request.user, request=request)
        return _("配信を開始しました。")

    return _action(request, pk, run)


@access.require(Perm.APPROVE_BROADCAST)
@require_POST
def broadcast_retry(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_retry_failed(broadcast=b, actor=request.user, request=request)
        return _("失敗したバッチを再送しています。")

    return _action(request, pk, run)


@access.require(Perm.COMPOSE_BROADCAST)
@require_POST
def broadcast_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_test_send(broadcast=b, actor=request.user, request=request)
        return _("テスト配信を送信しました。")

    return _action(request, pk, run)


@access.require(Perm.APPROVE_BROADCAST)
def approvals(request: HttpRequest) -> HttpResponse:
    """Mobile-friendly list of what waits for this approver (emergencies first): 起案者,
    申請日時, 配信予定人数 (rounded estimate), 予約日時."""
    rows = [
        {"broadcast": b, "estimate": privacy.estimate(selectors.Segment.of(b), actor=request.user)}
        for b in selectors.pending_approval(user=request.user)[:100]
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
def media(request: HttpRequest, token, variant: str) -> FileResponse:
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
