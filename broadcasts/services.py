"""Writes for broadcasts: compose, the approval life cycle, the recipient snapshot and the
fan-out of batches. UI views, the API and Celery tasks all call these functions.

The 50-recipient minimum lives in exactly one place: ``ensure_minimum`` (and the snapshot
check in ``broadcast_start``, which applies the same rule to the frozen recipient set).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Perm
from accounts.services import audit_record
from portal.line import chat as line_chat

from . import audit as actions
from . import disaster, images, privacy, selectors
from .models import (
    BATCH_SIZE,
    MAX_BUBBLES,
    MIN_RECIPIENTS,
    TEXT_MAX,
    Batch,
    Broadcast,
    BroadcastEditor,
    BroadcastImage,
    Bubble,
    Comment,
)

logger = logging.getLogger(__name__)

S = Broadcast.Status


class BelowMinimum(ValidationError):
    """The segment reaches fewer than 50 residents (never says how many)."""

    def __init__(self) -> None:
        super().__init__(_("配信対象者が50人未満のため、この操作はできません（最低配信人数は50人です）。"), code="below_minimum")


# -- the one rule ------------------------------------------------------------------------


class MinimumCheckLimit(ValidationError):
    """This staff member has used up today's refusals of the exact 50 check."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            _(
                "本日の人数確認（50人未満による不可）の上限%(limit)s回に達したため、今日はこれ以上確認できません。"
                "明日以降にもう一度お試しください。"
            )
            % {"limit": limit},
            code="minimum_check_limit",
        )


def _refusals_today(actor: Any) -> int:
    from accounts.models import AuditEntry

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditEntry.objects.filter(actor=actor, action=actions.MINIMUM_REFUSED, at__gte=start).count()


def ensure_minimum(*, broadcast: Broadcast, actor: Any = None) -> None:
    """Raise ``BelowMinimum`` unless the broadcast may go out, counted on live data now:
    the one place an exact count of residents is used (besides the frozen snapshot).
    Only exactly 友だち全員 (no exclusion; emergency broadcasts are that) is exempt from
    the minimum, not from approval. A staff member (``actor``) gets at most
    ``BROADCAST_MINIMUM_REFUSALS_PER_DAY`` refusals a day (each one is audited by the
    caller, see ``_refusal_audited``): after that the check is not run at all, since each
    refusal is a one-bit answer about a count."""
    segment = selectors.Segment.of(broadcast)
    exempt = segment.everyone and not segment.exclude_broadcast_id
    if exempt:
        return
    if actor is not None and getattr(actor, "pk", None):
        from django.contrib.auth import get_user_model

        limit = int(getattr(settings, "BROADCAST_MINIMUM_REFUSALS_PER_DAY", 10))
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()  # one check at a time per member
        if _refusals_today(actor) >= limit:
            raise MinimumCheckLimit(limit)
    if selectors.segment_reach(segment=segment) < MIN_RECIPIENTS:
        raise BelowMinimum()


def _refusal_audited(func):  # noqa: ANN001, ANN202 - decorator
    """Audit an under-50 refusal (the entry stays and counts towards the daily limit) while
    the staff member's row is still locked: the service runs in a savepoint inside one
    transaction that holds the lock from before the check until the refusal is recorded, so
    parallel requests (several web processes) each see the refusals before them and never
    get more than the limit."""
    import functools

    from django.contrib.auth import get_user_model

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        actor = kwargs.get("actor") or kwargs.get("approver")
        with transaction.atomic():
            if actor is not None and getattr(actor, "pk", None):
                get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
            try:
                return func(*args, **kwargs)  # its own atomic: a savepoint, rolled back on refusal
            except BelowMinimum as exc:
                refusal = exc
                if actor is not None:
                    _audit(
                        actions.MINIMUM_REFUSED,
                        actor=actor,
                        broadcast=kwargs["broadcast"],
                        request=kwargs.get("request"),
                        step=func.__name__.removeprefix("broadcast_"),
                    )
            except MinimumCheckLimit as exc:
                refusal = exc
                _audit(actions.MINIMUM_LIMITED, actor=actor, broadcast=kwargs["broadcast"], request=kwargs.get("request"))
        raise refusal

    return wrapper


def content_version(broadcast: Broadcast) -> str:
    """A hash of everything an approver approves (bubbles, targeting, exclusion, schedule,
    kind, title): the approval must name the version the approver reviewed."""
    rows = broadcast.bubbles.select_related("image").order_by("position", "id")
    bubbles = [[b.type, b.text, str(b.image.token) if b.image_id else ""] for b in rows]
    data = {
        "title": broadcast.title,
        "kind": broadcast.kind,
        "audience": broadcast.audience,
        "age_bands": sorted(broadcast.age_bands or []),
        "area_ids": sorted(broadcast.area_ids or []),
        "interest_ids": sorted(broadcast.interest_ids or []),
        "exclude": broadcast.exclude_broadcast_id,
        "scheduled_at": broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else None,
        "bubbles": bubbles,
    }
    import hashlib

    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def _transition(broadcast: Broadcast, allowed: set[str]) -> None:
    if broadcast.status not in allowed:
        raise ValidationError(
            _("「%(status)s」の配信にはこの操作はできません。") % {"status": broadcast.get_status_display()}, code="bad_state"
        )


def _lock(broadcast: Broadcast) -> Broadcast:
    return Broadcast.objects.select_for_update().get(pk=broadcast.pk)


def _audit(action: str, *, actor: Any, broadcast: Broadcast, request: HttpRequest | None = None, **detail: Any) -> None:
    audit_record(action=action, actor=actor, request=request, target=broadcast, detail=detail)


# -- compose -----------------------------------------------------------------------------


def image_upload(*, data: bytes, actor: Any) -> BroadcastImage:
    converted = images.convert(data)
    image = BroadcastImage(uploaded_by=actor, width=converted.width, height=converted.height)
    name = uuid.uuid4().hex
    image.original.save(f"{name}.jpg", ContentFile(converted.original), save=False)
    image.preview.save(f"{name}-preview.jpg", ContentFile(converted.preview), save=False)
    image.save()
    return image


def _clean_bubbles(bubbles: list[dict]) -> list[dict]:
    cleaned = []
    for bubble in bubbles:
        kind = bubble.get("type", "text")
        if kind == "text":
            text = (bubble.get("text") or "").strip()
            if not text:
                continue
            if line_chat.text_length(text) > TEXT_MAX:  # as LINE counts: an emoji is 2
                raise ValidationError(_("テキストは%(max)s文字以内にしてください。") % {"max": TEXT_MAX}, code="text_too_long")
            cleaned.append({"type": "text", "text": text, "image": None})
        elif kind == "image":
            image = bubble.get("image")
            if isinstance(image, int | str) and str(image).isdigit():
                image = BroadcastImage.objects.filter(pk=int(image)).first()
            if image is None:
                raise ValidationError(_("画像が見つかりません。"), code="image_missing")
            cleaned.append({"type": "image", "text": "", "image": image})
        else:
            raise ValidationError(_("吹き出しの種類が不正です。"), code="bad_bubble")
    if len(cleaned) > MAX_BUBBLES:
        raise ValidationError(_("吹き出しは%(max)s個までです。") % {"max": MAX_BUBBLES}, code="too_many_bubbles")
    return cleaned


@transaction.atomic
def broadcast_save(
    *,
    actor: Any,
    broadcast: Broadcast | None = None,
    title: str,
    kind: str = Broadcast.Kind.NORMAL,
    audience: str = Broadcast.Audience.ALL,
    age_bands: list[str] | tuple = (),
    area_ids: list[int] | tuple = (),
    interest_ids: list[int] | tuple = (),
    exclude_broadcast_id: int | None = None,
    scheduled_at: datetime | None = None,
    bubbles: list[dict],
    request: HttpRequest | None = None,
) -> Broadcast:
    """Create or edit a draft. Editing anything past 下書き/差し戻し returns it to 下書き."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("管理用タイトルを入力してください。"), code="title_required")
    if kind not in Broadcast.Kind.values or audience not in Broadcast.Audience.values:
        raise ValidationError(_("配信の種別または配信範囲が不正です。"), code="bad_audience")
    if kind == Broadcast.Kind.EMERGENCY:
        audience, age_bands, area_ids, interest_ids, exclude_broadcast_id = Broadcast.Audience.ALL, (), (), (), None
        scheduled_at = None  # an emergency broadcast always goes out on approval
    if scheduled_at is not None and scheduled_at <= timezone.now():
        raise ValidationError(_("予約日時には未来の日時を指定してください。"), code="bad_time")
    cleaned = _clean_bubbles(bubbles)
    segment = selectors.Segment.build(
        everyone=audience == Broadcast.Audience.ALL,
        age_bands=age_bands,
        area_ids=area_ids,
        interest_ids=interest_ids,
        exclude_broadcast_id=exclude_broadcast_id,
    )
    if segment.exclude_broadcast_id and not selectors.excludable_broadcasts().filter(pk=segment.exclude_broadcast_id).exists():
        raise ValidationError(_("除外できる過去の配信ではありません。"), code="bad_exclude")
    creating = broadcast is None
    if creating:
        broadcast = Broadcast(author=actor)
        previous = S.DRAFT
    else:
        broadcast = _lock(broadcast)
        if not broadcast.is_editable:
            raise ValidationError(_("配信を開始した後は編集できません。"), code="not_editable")
        previous = broadcast.status
    broadcast.title = title[:100]
    broadcast.kind = kind
    broadcast.audience = audience
    broadcast.age_bands = list(segment.age_bands)
    broadcast.area_ids = list(segment.area_ids)
    broadcast.interest_ids = list(segment.interest_ids)
    broadcast.exclude_broadcast_id = segment.exclude_broadcast_id
    broadcast.scheduled_at = scheduled_at
    broadcast.status = S.RETURNED if previous == S.RETURNED else S.DRAFT
    broadcast.approver = None
    broadcast.approved_at = None
    broadcast.save()
    broadcast.bubbles.all().delete()
    Bubble.objects.bulk_create(
        Bubble(broadcast=broadcast, position=i, type=b["type"], text=b["text"], image=b["image"]) for i, b in enumerate(cleaned)
    )
    BroadcastEditor.objects.get_or_create(broadcast=broadcast, user=actor)
    if creating:
        _audit(actions.CREATED, actor=actor, broadcast=broadcast, request=request)
    else:
        _audit(actions.EDITED, actor=actor, broadcast=broadcast, request=request, previous_status=previous)
    return broadcast


def line_messages(*, broadcast: Broadcast) -> list[dict]:
    """The bubbles in the Messaging API's JSON shape; image URLs absolute on PORTAL_BASE_URL."""
    from django.urls import reverse

    base = settings.PORTAL_BASE_URL.rstrip("/")
    messages: list[dict] = []
    for bubble in broadcast.bubbles.select_related("image"):
        if bubble.type == Bubble.Type.IMAGE and bubble.image:
            token = bubble.image.token
            messages.append(
                {
                    "type": "image",
                    "originalContentUrl": base + reverse("broadcasts:media", args=[token, "original"]),
                    "previewImageUrl": base + reverse("broadcasts:media", args=[token, "preview"]),
                }
            )
        elif bubble.text:
            messages.append({"type": "text", "text": bubble.text})
    return messages


def _require_content(broadcast: Broadcast) -> None:
    if not broadcast.bubbles.exists():
        raise ValidationError(_("メッセージを1つ以上入力してください。"), code="no_messages")
    if broadcast.bubbles.filter(text__contains=disaster.PLACEHOLDER).exists():
        raise ValidationError(
            _("「%(mark)s」が残っています。テンプレートの「%(mark)s」を実際の内容に書き換えてから申請してください。")
            % {"mark": disaster.PLACEHOLDER},
            code="placeholder_left",
        )


# -- approval life cycle -----------------------------------------------------------------


@_refusal_audited
@transaction.atomic
def broadcast_submit(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> Broadcast:
    broadcast = _lock(broadcast)
    _transition(broadcast, {S.DRAFT, S.RETURNED})
    _require_content(broadcast)
    ensure_minimum(broadcast=broadcast, actor=actor)
    broadcast.status = S.PENDING
    broadcast.submitted_at = timezone.now()
    broadcast.save(update_fields=["status", "submitted_at", "updated_at"])
    _audit(actions.SUBMITTED, actor=actor, broadcast=broadcast, request=request)
    return broadcast


def _check_approver(broadcast: Broadcast, approver: Any) -> None:
    if not approver.has_perm(Perm.APPROVE_BROADCAST):
        raise PermissionDenied(_("配信を承認する権限がありません。"))
    if broadcast.author_id == approver.pk:
        raise PermissionDenied(_("自分が起案した配信は承認できません。"))
    if BroadcastEditor.objects.filter(broadcast=broadcast, user=approver).exists():
        raise PermissionDenied(_("自分が編集した配信は承認できません（ほかの承認者に依頼してください）。"))


@_refusal_audited
@transaction.atomic
def broadcast_approve(
    *, broadcast: Broadcast, approver: Any, version: str, comment: str = "", request: HttpRequest | None = None
) -> Broadcast:
    """承認 of the version the approver reviewed (``content_version``); refused when the
    broadcast changed since, or when the approver created or edited it. What happens next is
    what the author chose on the compose page: 予約配信 (a future ``scheduled_at``) makes it
    予約済; 承認後すぐに配信 — and every emergency broadcast — starts sending now, with no
    further action (a 予約配信 whose time passed while it waited for approval starts now too)."""
    broadcast = _lock(broadcast)
    _check_approver(broadcast, approver)
    _transition(broadcast, {S.PENDING})
    if not version:
        raise ValidationError(
            _("承認する内容の版（version）が指定されていません。確認ページから承認してください。"), code="version_required"
        )
    if str(version) != content_version(broadcast):
        raise ValidationError(
            _("確認した後に配信の内容が変更されています。最新の内容をもう一度確認してから承認してください。"),
            code="version_changed",
        )
    ensure_minimum(broadcast=broadcast, actor=approver)
    now = timezone.now()
    broadcast.approver = approver
    broadcast.approved_at = now
    broadcast.status = S.APPROVED
    if broadcast.scheduled_at and broadcast.scheduled_at > now and not broadcast.is_emergency:
        broadcast.status = S.SCHEDULED
    broadcast.save(update_fields=["approver", "approved_at", "status", "updated_at"])
    if comment.strip():
        Comment.objects.create(broadcast=broadcast, author=approver, action="approved", body=comment.strip()[:2000])
    _audit(actions.APPROVED, actor=approver, broadcast=broadcast, request=request, scheduled=broadcast.status == S.SCHEDULED)
    if broadcast.status == S.APPROVED:
        broadcast.status = S.SENDING  # started_at stays empty until the snapshot is taken
        broadcast.save(update_fields=["status", "updated_at"])
        _enqueue_start(broadcast)
    return broadcast


@transaction.atomic
def broadcast_return(*, broadcast: Broadcast, approver: Any, comment: str, request: HttpRequest | None = None) -> Broadcast:
    """差し戻し with a comment for the author."""
    broadcast = _lock(broadcast)
    _check_approver(broadcast, approver)
    _transition(broadcast, {S.PENDING})
    if not comment.strip():
        raise ValidationError(_("差し戻しの理由を入力してください。"), code="comment_required")
    broadcast.status = S.RETURNED
    broadcast.save(update_fields=["status", "updated_at"])
    Comment.objects.create(broadcast=broadcast, author=approver, action="returned", body=comment.strip()[:2000])
    _audit(actions.RETURNED, actor=approver, broadcast=broadcast, request=request)
    return broadcast


@_refusal_audited
@transaction.atomic
def broadcast_schedule(
    *, broadcast: Broadcast, actor: Any, scheduled_at: datetime, request: HttpRequest | None = None
) -> Broadcast:
    """予約 (or a new 予約日時) for an approved broadcast. The schedule is part of what was
    approved (``content_version``), so a changed time goes back to 申請中 and needs a new
    approval (the approval then makes it 予約済); whoever changed it is recorded as an
    editor and may not approve it. The same time again changes nothing."""
    broadcast = _lock(broadcast)
    _transition(broadcast, {S.APPROVED, S.SCHEDULED})
    if broadcast.is_emergency:
        raise ValidationError(_("緊急配信は予約できません。"), code="bad_state")
    if scheduled_at is None or scheduled_at <= timezone.now():
        raise ValidationError(_("予約日時には未来の日時を指定してください。"), code="bad_time")
    if broadcast.status == S.SCHEDULED and broadcast.scheduled_at == scheduled_at:
        return broadcast
    ensure_minimum(broadcast=broadcast, actor=actor)
    previous = broadcast.status
    broadcast.scheduled_at = scheduled_at
    broadcast.status = S.PENDING
    broadcast.submitted_at = timezone.now()
    broadcast.approver = None
    broadcast.approved_at = None
    broadcast.save(update_fields=["scheduled_at", "status", "submitted_at", "approver", "approved_at", "updated_at"])
    BroadcastEditor.objects.get_or_create(broadcast=broadcast, user=actor)
    _audit(
        actions.SCHEDULED,
        actor=actor,
        broadcast=broadcast,
        request=request,
        scheduled_at=scheduled_at.isoformat(),
        previous_status=previous,
        needs_approval=True,
    )
    return broadcast


@transaction.atomic
def broadcast_cancel(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> Broadcast:
    """中止 of a broadcast that was submitted, until sending starts (a draft is deleted
    instead: ``broadcast_delete``)."""
    broadcast = _lock(broadcast)
    _transition(broadcast, {S.PENDING, S.APPROVED, S.SCHEDULED})
    broadcast.status = S.CANCELLED
    broadcast.halt_reason = Broadcast.HaltReason.CANCELLED_BY_STAFF
    broadcast.finished_at = timezone.now()
    broadcast.save(update_fields=["status", "halt_reason", "finished_at", "updated_at"])
    _audit(actions.CANCELLED, actor=actor, broadcast=broadcast, request=request)
    return broadcast


DELETABLE = frozenset({S.DRAFT, S.RETURNED})


@transaction.atomic
def broadcast_delete(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> str:
    """削除 of a draft (下書き or 差し戻し: never submitted since, nothing approved or sent).
    The audit entry stays (it names the broadcast); images no other broadcast uses go with
    it. Returns the deleted broadcast's title."""
    broadcast = _lock(broadcast)
    if broadcast.status not in DELETABLE:
        raise ValidationError(
            _("「%(status)s」の配信は削除できません（削除できるのは下書きと差し戻しだけです）。")
            % {"status": broadcast.get_status_display()},
            code="bad_state",
        )
    title = broadcast.title
    _audit(actions.DELETED, actor=actor, broadcast=broadcast, request=request, title=title)
    image_ids = list(broadcast.bubbles.exclude(image=None).values_list("image_id", flat=True))
    broadcast.delete()
    unused = BroadcastImage.objects.filter(pk__in=image_ids).exclude(
        pk__in=Bubble.objects.filter(image_id__in=image_ids).values("image_id")
    )
    for image in unused:
        files = [image.original, image.preview]
        image.delete()
        transaction.on_commit(lambda files=files: [f.storage.delete(f.name) for f in files if f.name])
    return title


@_refusal_audited
@transaction.atomic
def broadcast_send(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> Broadcast:
    """今すぐ配信 of an approved broadcast: checked now, checked again on the snapshot."""
    broadcast = _lock(broadcast)
    _transition(broadcast, {S.APPROVED})
    ensure_minimum(broadcast=broadcast, actor=actor)
    broadcast.status = S.SENDING  # started_at stays empty until the snapshot is taken
    broadcast.save(update_fields=["status", "updated_at"])
    _audit(actions.SEND_REQUESTED, actor=actor, broadcast=broadcast, request=request)
    _enqueue_start(broadcast)
    return broadcast


def _enqueue_start(broadcast: Broadcast) -> None:
    from .tasks import start_broadcast

    broadcast_id = broadcast.pk
    transaction.on_commit(lambda: start_broadcast.delay(broadcast_id))


def start_due_scheduled(*, now: datetime | None = None) -> int:
    """Beat job: start every 予約済 broadcast whose time has come."""
    now = now or timezone.now()
    due = list(Broadcast.objects.filter(status=S.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True))
    from .tasks import start_broadcast

    for pk in due:
        start_broadcast.delay(pk)
    return len(due)


# -- snapshot and fan-out ----------------------------------------------------------------


class _SnapshotTooSmall(Exception):
    pass


def _needs_minimum(broadcast: Broadcast) -> bool:
    """Every audience that is not exactly 友だち全員 (an exclusion counts as a filter)."""
    return broadcast.is_segment or broadcast.exclude_broadcast_id is not None


# PostgreSQL freezes the recipients in steps of this many residents (multiples of 500):
# batches are sent as soon as the first step commits, while the next ones are taken.
SNAPSHOT_FIRST_STEP = 10_000
SNAPSHOT_STEP = 100_000


def broadcast_start(*, broadcast_id: int, queue: str | None = None) -> Broadcast | None:
    """Freeze the recipients into batches of ≤ 500 and enqueue one task per batch.
    Idempotent: only an 承認済/予約済 broadcast starts (a second call does nothing, a call
    after a killed start resumes its snapshot). ``queue``: where the batch tasks go (the
    start task passes the queue it came from).

    On PostgreSQL the snapshot is taken in steps (``SNAPSHOT_FIRST_STEP``, then
    ``SNAPSHOT_STEP`` residents in id order), each committed and enqueued at once, so
    sending overlaps the rest of the snapshot; ``started_at`` is set when it is complete
    (the broadcast cannot finish before). A segment that fits in the first step is checked
    against the 50 minimum before anything is sent; a larger one has more than 50."""
    from django.db import connection

    stepped = connection.vendor == "postgresql"
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().filter(pk=broadcast_id).first()
        startable = broadcast is not None and (
            broadcast.status in {S.APPROVED, S.SCHEDULED} or (broadcast.status == S.SENDING and broadcast.started_at is None)
        )
        if not startable:
            return broadcast
        complete = True
        if broadcast.is_emergency:
            Batch.objects.create(broadcast=broadcast, number=0, endpoint="broadcast", size=0)
            total = 0
        elif stepped and broadcast.snapshot_position is not None:
            complete = False  # a killed start task took the first steps: go on below
        else:
            try:
                with transaction.atomic():
                    if stepped:
                        total, complete, _first = _snapshot_step(broadcast, SNAPSHOT_FIRST_STEP)
                    else:
                        total = _snapshot(broadcast)
                    if complete and _needs_minimum(broadcast) and total < MIN_RECIPIENTS:
                        raise _SnapshotTooSmall
            except _SnapshotTooSmall:
                broadcast.status = S.CANCELLED
                broadcast.halt_reason = Broadcast.HaltReason.BELOW_MINIMUM
                broadcast.finished_at = timezone.now()
                broadcast.save(update_fields=["status", "halt_reason", "finished_at", "updated_at"])
                _audit(actions.HALTED, actor=None, broadcast=broadcast, reason="below_minimum")
                return broadcast
        broadcast.status = S.SENDING
        broadcast.line_payload = line_messages(broadcast=broadcast)
        if not complete:
            broadcast.save(update_fields=["status", "line_payload", "snapshot_position", "recipients_total", "updated_at"])
            transaction.on_commit(lambda: _enqueue_batches(broadcast.pk, queue=queue))
        else:
            broadcast.recipients_total = total
            broadcast.recipients_noisy = privacy.sent_noisy_total(segment=selectors.Segment.of(broadcast), exact=total)
            broadcast.started_at = timezone.now()
            broadcast.save(
                update_fields=[
                    "status",
                    "recipients_total",
                    "recipients_noisy",
                    "snapshot_position",
                    "started_at",
                    "line_payload",
                    "updated_at",
                ]
            )
            _audit(actions.STARTED, actor=None, broadcast=broadcast)
            if total == 0 and not broadcast.is_emergency:
                _finish(broadcast)
                return broadcast
            transaction.on_commit(lambda: _enqueue_batches(broadcast.pk, queue=queue))
    if complete:
        return broadcast
    while not complete:
        with transaction.atomic():
            broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
            if broadcast.status != S.SENDING or broadcast.started_at is not None:
                return broadcast  # another start task completed it
            _count, complete, first_number = _snapshot_step(broadcast, SNAPSHOT_STEP)
            fields = ["snapshot_position", "recipients_total", "updated_at"]
            if complete:
                broadcast.started_at = timezone.now()
                broadcast.recipients_noisy = privacy.sent_noisy_total(
                    segment=selectors.Segment.of(broadcast), exact=broadcast.recipients_total
                )
                fields += ["started_at", "recipients_noisy"]
            broadcast.save(update_fields=fields)
            if complete:
                _audit(actions.STARTED, actor=None, broadcast=broadcast)
            transaction.on_commit(lambda n=first_number: _enqueue_batches(broadcast_id, queue=queue, since=n))
    broadcast_finish_if_complete(broadcast_id=broadcast_id)  # its batches may all be sent already
    return broadcast


def _snapshot(broadcast: Broadcast) -> int:
    """Freeze the segment's recipients into batches of ≤ 500 (in resident order), streamed
    through Python in chunks (the other databases); returns how many recipients."""
    return _snapshot_streamed(broadcast, selectors.Segment.of(broadcast))


def _snapshot_step(broadcast: Broadcast, limit: int) -> tuple[int, bool, int]:
    """PostgreSQL: freeze the next ``limit`` recipients (ids after ``snapshot_position``)
    into batches numbered after the existing ones, in one INSERT … SELECT (nothing goes
    through Python). Updates ``snapshot_position`` and ``recipients_total`` on ``broadcast``
    (the caller saves). Returns (recipients in this step, whether the snapshot is complete,
    this step's first batch number)."""
    from django.db import connection

    residents = selectors.segment_residents(segment=selectors.Segment.of(broadcast))
    if broadcast.snapshot_position is not None:
        residents = residents.filter(pk__gt=broadcast.snapshot_position)
    residents = residents.order_by("pk").values("id", "line_user_id")[:limit]
    sql, params = residents.query.get_compiler(connection=connection).as_sql()
    table = Batch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(max(number) + 1, 0) FROM {table} WHERE broadcast_id = %s",  # noqa: S608
            [broadcast.pk],
        )
        first_number = int(cursor.fetchone()[0])
        cursor.execute(
            f"""
            WITH picked AS ({sql}), numbered AS (
                SELECT line_user_id, id, %s + (row_number() OVER (ORDER BY id) - 1) / %s AS number FROM picked
            ), made AS (
                INSERT INTO {table} (broadcast_id, number, retry_key, endpoint, line_user_ids, size, status, attempts,
                                     error, line_request_id, updated_at)
                SELECT %s, number, gen_random_uuid(), 'multicast', jsonb_agg(line_user_id ORDER BY id), count(*),
                       %s, 0, '', '', now()
                FROM numbered GROUP BY number
                RETURNING size
            )
            SELECT (SELECT coalesce(sum(size), 0) FROM made), (SELECT max(id) FROM picked)
            """,  # noqa: S608 - table name from the model, the segment's SQL from the ORM with bound parameters
            [*params, first_number, BATCH_SIZE, broadcast.pk, Batch.Status.PENDING],
        )
        count, last_id = cursor.fetchone()
    count = int(count)
    if last_id is not None:
        broadcast.snapshot_position = int(last_id)
    elif broadcast.snapshot_position is None:
        broadcast.snapshot_position = 0
    broadcast.recipients_total += count
    return count, count < limit, first_number


def _snapshot_streamed(broadcast: Broadcast, segment: selectors.Segment) -> int:
    total = 0
    number = 0
    pending: list[Batch] = []
    chunk: list[str] = []

    def flush_chunk() -> None:
        nonlocal number
        pending.append(Batch(broadcast=broadcast, number=number, line_user_ids=list(chunk), size=len(chunk)))
        number += 1
        chunk.clear()

    for line_user_id in selectors.segment_line_user_ids(segment=segment):
        chunk.append(line_user_id)
        total += 1
        if len(chunk) == BATCH_SIZE:
            flush_chunk()
            if len(pending) >= 20:
                Batch.objects.bulk_create(pending)
                pending.clear()
    if chunk:
        flush_chunk()
    if pending:
        Batch.objects.bulk_create(pending)
    return total


def _enqueue_batches(broadcast_id: int, queue: str | None = None, since: int = 0) -> None:
    from .tasks import send_batch

    options = {"queue": queue} if queue else {}
    rows = Batch.objects.filter(broadcast_id=broadcast_id, status=Batch.Status.PENDING, number__gte=since).order_by("number")
    for batch_id, endpoint in rows.values_list("pk", "endpoint").iterator(chunk_size=2000):
        send_batch.apply_async((batch_id, endpoint), **options)


def _acquire(bucket: str) -> None:
    try:
        from portal.line import ratelimit
    except ImportError:  # the LINE layer's shared bucket is not there yet: LINE's 429s pace us
        return
    ratelimit.acquire(bucket)


MAX_ATTEMPTS = 8
_OPEN = (Batch.Status.PENDING, Batch.Status.SENDING)


# The send path runs once per 500 recipients: its three statements are written out (Django
# compiling the equivalent querysets cost a fifth of a batch's CPU); tables from the models.
def _claim(batch_id: int) -> tuple | None:
    """(retry_key, endpoint, line_user_ids, attempts, broadcast_id, broadcast status, payload)
    of an open batch, its row locked for this transaction; None when it is finished or
    another worker holds it."""
    from django.db import connection

    features = connection.features
    lock = (
        " FOR UPDATE OF b SKIP LOCKED" if features.has_select_for_update_skip_locked and features.has_select_for_update_of else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT b.retry_key, b.endpoint, b.line_user_ids, b.attempts, b.broadcast_id, s.status, s.line_payload "  # noqa: S608
            f"FROM {Batch._meta.db_table} b JOIN {Broadcast._meta.db_table} s ON s.id = b.broadcast_id "
            f"WHERE b.id = %s AND b.status IN (%s, %s){lock}",
            [batch_id, *_OPEN],
        )
        return cursor.fetchone()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _save_attempt(
    batch_id: int, *, status: str, error: str, request_id: str, attempts: int, sent: bool, recipients: list | None = None
) -> None:
    """``recipients``: the sent batch's list, replaced by keyed hashes in the same UPDATE
    (recipients.py: the portal keeps no LINE user ID of who got a broadcast)."""
    from django.db import connection

    from .recipients import recipient_hashes

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    assignments, params = "", []
    if sent and recipients:
        assignments = "line_user_ids = %s, "
        params = [Batch._meta.get_field("line_user_ids").get_db_prep_save(recipient_hashes(recipients), connection)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Batch._meta.db_table} SET {assignments}status = %s, error = %s, line_request_id = %s, sent_at = %s, "  # noqa: S608
            "attempts = %s, updated_at = %s WHERE id = %s",
            [*params, status, error, request_id, now if sent else None, attempts, now, batch_id],
        )


def batch_send(*, batch_id: int, endpoint: str = "multicast") -> str:
    """Send one batch with its saved retry key; returns the batch's status afterwards.

    Each attempt takes a token from the shared bucket, then is one transaction: claim the row
    with ``FOR UPDATE SKIP LOCKED`` (so a duplicate delivery of the task skips a batch another
    worker is sending), send, and save the outcome with one UPDATE. A worker killed mid-send
    rolls back (the row stays open and untouched, its lock is released) and the broker
    redelivers the task (acks_late), or the stale-batch job re-enqueues it: it sends again
    with the same retry key, and LINE answers 409 if it had already accepted it.
    """
    from portal.line import client

    status = Batch.Status.PENDING
    broadcast_id = None
    for attempt in range(MAX_ATTEMPTS):
        # The token first, outside the transaction: a database bucket's row lock must not be
        # held across the request (a duplicate delivery of a finished batch wastes one token).
        _acquire(endpoint)
        pause = 0.0
        with transaction.atomic():
            row = _claim(batch_id)
            if row is None:
                return "skipped"  # already sent or failed, or being sent by another worker
            retry_key, batch_endpoint, line_user_ids, attempts, broadcast_id, broadcast_status, payload = row
            if broadcast_status != S.SENDING:
                return "skipped"
            messages = _json(payload) or line_messages(broadcast=Broadcast.objects.get(pk=broadcast_id))
            status, error, request_id = Batch.Status.SENDING, "", ""
            try:
                if batch_endpoint == "broadcast":
                    result = client.broadcast(messages=messages, retry_key=retry_key)
                else:
                    result = client.multicast(to=_json(line_user_ids), messages=messages, retry_key=retry_key)
            except client.LineRateLimited as exc:
                error = "429"
                pause = min(exc.retry_after if exc.retry_after is not None else _backoff(attempt), 30.0)
            except client.LineTemporaryError as exc:
                error = str(exc)[:500]
                pause = _backoff(attempt)
            except client.LineRejected as exc:
                error = f"{exc.status}: {exc.message}"[:500]
                status = Batch.Status.FAILED
            else:
                request_id = (result.accepted_request_id or result.request_id or "")[:64]
                status = Batch.Status.DONE
            if status == Batch.Status.SENDING and attempt == MAX_ATTEMPTS - 1:
                status = Batch.Status.FAILED
                error = (_("再試行の上限に達しました: %(error)s") % {"error": error})[:500]
            done = status == Batch.Status.DONE
            _save_attempt(
                batch_id,
                status=status,
                error=error,
                request_id=request_id,
                attempts=attempts + 1,
                sent=done,
                recipients=_json(line_user_ids) if done and batch_endpoint != "broadcast" else None,
            )
        if status != Batch.Status.SENDING:
            break
        time.sleep(pause)
    if broadcast_id is not None:
        broadcast_finish_if_complete(broadcast_id=broadcast_id)
    return status


def batches_requeue_stale(*, older_than: float | None = None) -> int:
    """Beat job: re-enqueue batches of 配信中 broadcasts that nobody is sending and nobody
    touched for a while (their task was lost with a killed worker whose broker would only
    redeliver after its visibility timeout), and the start of a stalled snapshot. A duplicate task is harmless: the row claim
    skips a batch being sent, and the retry key makes LINE answer 409 to a resend."""
    from datetime import timedelta

    from .tasks import send_batch

    seconds = older_than if older_than is not None else float(getattr(settings, "BROADCAST_STALE_BATCH_SECONDS", 120))
    cutoff = timezone.now() - timedelta(seconds=seconds)
    stale = Batch.objects.filter(
        broadcast__status=S.SENDING,
        broadcast__started_at__lte=cutoff,
        status__in=[Batch.Status.PENDING, Batch.Status.SENDING],
    ).filter(Q(updated_at__lte=cutoff) | Q(updated_at__isnull=True))
    count = 0
    for batch_id, endpoint in stale.values_list("pk", "endpoint").iterator(chunk_size=2000):
        send_batch.delay(batch_id, endpoint)
        count += 1
    # A snapshot nobody has advanced for as long: its start task was lost with its worker.
    # Starting again resumes after the last committed step (under the broadcast's row lock).
    from .tasks import start_broadcast

    stalled = Broadcast.objects.filter(status=S.SENDING, started_at__isnull=True, updated_at__lte=cutoff)
    for broadcast_id in stalled.values_list("pk", flat=True):
        start_broadcast.delay(broadcast_id)
        count += 1
    return count


def reach_cells_refresh() -> int:
    """Rebuild the reach cells (one GROUP BY over residents); returns how many cells."""
    from portal.line.models import Resident

    from .models import ReachCell

    now = timezone.now()
    rows = (
        Resident.objects.filter(status=Resident.Status.ACTIVE, segment_opt_out=False)
        .values("age_band", "area_id", "interest_bits")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells = [
        ReachCell(
            age_band=r["age_band"], area_id=r["area_id"], interest_bits=r["interest_bits"], residents=r["n"], refreshed_at=now
        )
        for r in rows.iterator(chunk_size=5000)
    ]
    with transaction.atomic():
        ReachCell.objects.all().delete()
        ReachCell.objects.bulk_create(cells, batch_size=2000)
    return len(cells)


def _backoff(attempt: int) -> float:
    return min(0.2 * (2**attempt), 5.0)


def _has_open_batches(broadcast_id: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:  # written out: this runs after every batch
        cursor.execute(
            f"SELECT 1 FROM {Batch._meta.db_table} WHERE broadcast_id = %s AND status IN (%s, %s) LIMIT 1",  # noqa: S608
            [broadcast_id, *_OPEN],
        )
        return cursor.fetchone() is not None


def broadcast_finish_if_complete(*, broadcast_id: int) -> Broadcast | None:
    """配信完了 / 一部失敗 once no batch is left to send (checked after each batch commits)."""
    if _has_open_batches(broadcast_id):
        return None
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status != S.SENDING or broadcast.started_at is None:
            return broadcast  # not sending, or its snapshot is still being taken
        # Again under the lock: a snapshot step may have committed new batches meanwhile.
        if _has_open_batches(broadcast_id):
            return None
        _finish(broadcast)
    return broadcast


def _finish(broadcast: Broadcast) -> None:
    failed = Batch.objects.filter(broadcast=broadcast, status=Batch.Status.FAILED).exists()
    broadcast.status = S.PARTIAL if failed else S.DONE
    broadcast.finished_at = timezone.now()
    broadcast.save(update_fields=["status", "finished_at", "updated_at"])
    _audit(actions.PARTIAL if failed else actions.COMPLETED, actor=None, broadcast=broadcast)


@transaction.atomic
def broadcast_retry_failed(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> int:
    """An approver sends the failed batches again, each with its own (unchanged) retry key."""
    if not actor.has_perm(Perm.APPROVE_BROADCAST):
        raise PermissionDenied(_("失敗したバッチを再送する権限がありません。"))
    broadcast = _lock(broadcast)
    _transition(broadcast, {S.PARTIAL})
    from .recipients import PREFIX

    # A failed batch whose list was hashed past its retention period can no longer be sent.
    failed = Batch.objects.filter(broadcast=broadcast, status=Batch.Status.FAILED).exclude(line_user_ids__0__startswith=PREFIX)
    count = failed.update(status=Batch.Status.PENDING, error="")
    broadcast.status = S.SENDING
    broadcast.finished_at = None
    broadcast.save(update_fields=["status", "finished_at", "updated_at"])
    _audit(actions.RETRIED, actor=actor, broadcast=broadcast, request=request, batches=count)
    transaction.on_commit(lambda: _enqueue_batches(broadcast.pk))
    return count


def broadcast_test_send(*, broadcast: Broadcast, actor: Any, request: HttpRequest | None = None) -> None:
    """テスト配信: one push of the bubbles to the staff member's own linked LINE account
    (staff_line.py) and to nobody else. It creates no batch and changes nothing on the
    broadcast: a test counts toward no total, no exclusion and no progress."""
    from portal.line import client
    from portal.line.models import Resident

    if not (actor.has_perm(Perm.COMPOSE_BROADCAST) or actor.has_perm(Perm.APPROVE_BROADCAST)):
        raise PermissionDenied(_("テスト配信をする権限がありません。"))
    to = (getattr(actor, "line_test_user_id", "") or "").strip()
    if not to:
        raise ValidationError(
            _("テスト配信用のLINEアカウントが連携されていません。「テスト配信用LINEの連携」から連携してください。"),
            code="no_test_account",
        )
    if not Resident.objects.filter(line_user_id=to, status=Resident.Status.ACTIVE).exists():
        raise ValidationError(
            _("連携したLINEアカウントが公式アカウントを友だち追加していません（ブロック中）。友だち追加してからお試しください。"),
            code="test_account_not_friend",
        )
    messages = line_messages(broadcast=broadcast)
    if not messages:
        raise ValidationError(_("メッセージを1つ以上入力してください。"), code="no_messages")
    _acquire("push")
    try:
        client.push(to=to, messages=messages, retry_key=uuid.uuid4())
    except client.LineError:
        raise ValidationError(
            _("テスト配信を送れませんでした。しばらくしてからもう一度お試しください。"), code="line_error"
        ) from None
    _audit(actions.TEST_SENT, actor=actor, broadcast=broadcast, request=request)


def estimate_usage_audit() -> int:
    """Beat job: one audit entry per staff member and finished day, with how many reach
    estimates they asked for (estimates are not audited one by one)."""
    from .models import EstimateUsage

    today = timezone.localdate()
    count = 0
    rows = EstimateUsage.objects.filter(day__lt=today, audited=False).select_related("user").order_by("day", "pk")
    for usage in rows:
        with transaction.atomic():
            if not EstimateUsage.objects.filter(pk=usage.pk, audited=False).update(audited=True):
                continue
            audit_record(
                action=actions.ESTIMATE_USAGE,
                actor=usage.user,
                target_type="broadcasts.estimateusage",
                target_id=str(usage.pk),
                target_repr=str(usage.day),
                detail={"day": usage.day.isoformat(), "questions": usage.questions},
            )
            count += 1
    return count
