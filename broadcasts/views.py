"""Pages of broadcasts (thin: parse, call a service, render). Permissions: portal.access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Perm
from portal import access

from . import disaster, privacy, progress, selectors, services, staff_line
from .models import MAX_BUBBLES, TEXT_MAX, Broadcast, BroadcastImage

S = Broadcast.Status
# テスト配信 and linking one's own LINE test account: PR staff, authors and approvers.
TEST_SEND = (Perm.COMPOSE_BROADCAST, Perm.APPROVE_BROADCAST)


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


def _compose_payload(request: HttpRequest, broadcast: Broadcast | None) -> tuple[dict[str, Any], list[str]]:
    """What the compose form says, and every problem found in it (all at once). Images
    uploaded with the form are stored even when something else is wrong, so the re-shown
    form keeps them."""
    post = request.POST
    errors: list[str] = []
    bubbles: list[dict] = []
    existing = {b.position: b for b in broadcast.bubbles.all()} if broadcast else {}
    for i in range(MAX_BUBBLES):
        kind = post.get(f"bubble-{i}-type", "")
        if kind == "text":
            bubbles.append({"type": "text", "text": post.get(f"bubble-{i}-text", "")})
        elif kind == "image":
            image = None
            upload = request.FILES.get(f"bubble-{i}-image")
            if upload is not None:
                try:
                    image = services.image_upload(data=upload.read(), actor=request.user)
                except ValidationError as exc:
                    errors += [_("吹き出し%(n)s: %(error)s") % {"n": i + 1, "error": e} for e in _errors(exc)]
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
        except ValidationError as exc:
            errors += _errors(exc)
    payload = {
        "title": post.get("title", ""),
        "kind": post.get("kind", Broadcast.Kind.NORMAL),
        "audience": post.get("audience", Broadcast.Audience.ALL),
        "age_bands": post.getlist("age_bands"),
        "area_ids": _int_list(post.getlist("area_ids")),
        "interest_ids": _int_list(post.getlist("interest_ids")),
        "exclude_broadcast_id": int(post["exclude_broadcast"]) if post.get("exclude_broadcast", "").isdigit() else None,
        "scheduled_at": scheduled_at,
        "bubbles": bubbles,
    }
    return payload, errors


def _form_state(broadcast: Broadcast | None, payload: dict | None, post=None, template: dict | None = None) -> dict:
    """The values the compose form shows: what was just posted (an error re-shows the form
    with nothing lost), else the stored broadcast, else a 災害 template or blanks."""
    if payload is not None:
        stored_bubbles = payload["bubbles"]
        state = {
            "title": payload["title"],
            "audience": payload["audience"],
            "age_bands": [str(b) for b in payload["age_bands"]],
            "area_ids": payload["area_ids"],
            "interest_ids": payload["interest_ids"],
            "exclude_broadcast_id": payload["exclude_broadcast_id"],
            "timing": "scheduled" if post.get("timing") == "scheduled" else "now",
            "scheduled_at": post.get("scheduled_at", ""),
        }
    elif broadcast is not None:
        stored_bubbles = [{"type": b.type, "text": b.text, "image": b.image} for b in broadcast.bubbles.select_related("image")]
        when = timezone.localtime(broadcast.scheduled_at).strftime("%Y-%m-%dT%H:%M") if broadcast.scheduled_at else ""
        state = {
            "title": broadcast.title,
            "audience": broadcast.audience,
            "age_bands": list(broadcast.age_bands),
            "area_ids": list(broadcast.area_ids),
            "interest_ids": list(broadcast.interest_ids),
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
        if not errors:
            try:
                broadcast = services.broadcast_save(actor=request.user, broadcast=broadcast, request=request, **payload)
            except ValidationError as exc:
                errors = _errors(exc)
        if not errors:
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
                    messages.success(request, _("テスト配信を送信しました。ご自分のLINEでご確認ください。"))
                except ValidationError as exc:
                    messages.error(request, " ".join(_errors(exc)))
                return redirect("broadcasts:edit", pk=broadcast.pk)
            else:
                messages.success(request, _("下書きを保存しました。"))
            return redirect("broadcasts:detail", pk=broadcast.pk)
    template = None
    if emergency and broadcast is None and payload is None:
        template = disaster.template(request.GET.get("template", ""))
    context = {
        "broadcast": broadcast,
        "emergency": emergency,
        "form": _form_state(broadcast, payload, request.POST if payload is not None else None, template),
        "choices": selectors.segment_choices(),
        "excludable": selectors.excludable_broadcasts()[:50],
        "errors": errors,
        "text_max": TEXT_MAX,
        "disaster_templates": disaster.TEMPLATES if emergency else [],
        "chosen_template": template["code"] if template else "",
        "friends_reach_text": privacy.friends_text() if emergency else "",
        "test_account": staff_line.account_status(user=request.user),
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
    user = request.user
    estimate = privacy.estimate(segment, actor=user) if broadcast.status in _ESTIMATED and not broadcast.is_emergency else None
    edited = broadcast.editors.filter(user=user).exists() if user.is_authenticated else False
    if broadcast.status not in _ESTIMATED:
        reach = ""
    elif broadcast.is_emergency:
        reach = privacy.friends_text()  # LINE's broadcast endpoint: every friend, 配信停止 included
    else:
        reach = estimate.text
    return {
        "broadcast": broadcast,
        "bubbles": list(broadcast.bubbles.select_related("image")),
        "comments": list(broadcast.comments.select_related("author")),
        "report": progress.progress_report(broadcast=broadcast),
        "estimate": estimate,
        "reach_text": reach,
        "segment_labels": _segment_labels(broadcast),
        "version": services.content_version(broadcast),
        "editors": [e.user.get_short_name() for e in broadcast.editors.select_related("user").order_by("first_edit_at", "pk")],
        "can_compose": user.has_perm(Perm.COMPOSE_BROADCAST),
        "can_approve": user.has_perm(Perm.APPROVE_BROADCAST) and broadcast.author_id != user.pk and not edited,
        "edited_by_me": edited or broadcast.author_id == user.pk,
        "can_retry": user.has_perm(Perm.APPROVE_BROADCAST),
        "can_test_send": access.user_passes(user, TEST_SEND),
        "can_delete": user.has_perm(Perm.COMPOSE_BROADCAST) and broadcast.status in services.DELETABLE,
        "can_cancel": user.has_perm(Perm.COMPOSE_BROADCAST) and broadcast.status in {S.PENDING, S.APPROVED, S.SCHEDULED},
        "test_account": staff_line.account_status(user=user),
        "is_live": broadcast.status == S.SENDING,
        # The 操作 card only where it can hold something (never an empty card on a finished one).
        "has_actions": (user.has_perm(Perm.APPROVE_BROADCAST) and broadcast.status in {S.PENDING, S.SENDING, S.PARTIAL})
        or (
            user.has_perm(Perm.COMPOSE_BROADCAST)
            and broadcast.status in {S.DRAFT, S.RETURNED, S.PENDING, S.APPROVED, S.SCHEDULED}
        ),
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


def _action(request: HttpRequest, pk: int, run, *, done_to: str = "") -> HttpResponse:
    """Run ``run(broadcast)`` and go back to the page named by ``next``; ``done_to`` names the
    page to show instead when the action succeeded."""
    broadcast = get_object_or_404(Broadcast, pk=pk)
    done = False
    try:
        note = run(broadcast)
        done = True
        if note:
            messages.success(request, note)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("この操作を行う権限がありません。"))
    target = request.POST.get("next", "")
    if done and done_to:
        return redirect(done_to, pk=pk)
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
        if b.status == S.SCHEDULED:
            when = formats.date_format(timezone.localtime(b.scheduled_at), "DATETIME_FORMAT")
            return _("承認しました。%(when)sに配信します。") % {"when": when}
        if b.is_emergency:
            return _("緊急配信を承認し、配信を開始しました。")
        return _("承認し、配信を開始しました。")

    # Approved: the broadcast's page, where the send's progress shows live (a refused approval
    # stays on the review page with the reason).
    return _action(request, pk, run, done_to="broadcasts:detail")


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
        result = services.broadcast_schedule(broadcast=b, actor=request.user, scheduled_at=when, request=request)
        if result.status == Broadcast.Status.SCHEDULED:
            return _("予約日時は変わっていません。")
        return _("予約日時を変更しました。承認された内容が変わったため、承認待ちに戻りました（もう一度承認が必要です）。")

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
def broadcast_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """削除 of a draft (下書き・差し戻し): gone from the list; the audit log keeps the entry."""
    broadcast = get_object_or_404(Broadcast, pk=pk)
    try:
        title = services.broadcast_delete(broadcast=broadcast, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
        return redirect("broadcasts:detail", pk=pk)
    messages.success(request, _("下書き「%(title)s」を削除しました。") % {"title": title})
    return redirect("broadcasts:list")


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
        return _("届かなかった方への再送を始めました。")

    return _action(request, pk, run)


@access.require(TEST_SEND)
@require_POST
def broadcast_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    def run(b):
        services.broadcast_test_send(broadcast=b, actor=request.user, request=request)
        return _("テスト配信を送信しました。ご自分のLINEでご確認ください。")

    return _action(request, pk, run)


@access.require(TEST_SEND)
@never_cache
def test_account(request: HttpRequest) -> HttpResponse:
    """テスト配信用LINEの連携: issue a one-time code to send from one's own LINE, or unlink."""
    code = ""
    if request.method == "POST":
        if request.POST.get("action") == "unlink":
            staff_line.staff_line_unlink(user=request.user, request=request)
            messages.success(request, _("テスト配信用LINEの連携を解除しました。"))
            return redirect("broadcasts:test_account")
        code = staff_line.staff_line_code_issue(user=request.user, request=request)
    back = request.GET.get("next", "")
    context = {
        "code": code,
        "test_account": staff_line.account_status(user=request.user),
        "demo": settings.DEBUG,
        "back": back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else "",
    }
    return render(request, "broadcasts/test_account.html", context)


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
