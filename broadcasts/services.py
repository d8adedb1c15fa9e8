"""Writes for broadcasts: compose and the approval life cycle. UI views, the API and Celery
tasks all call these functions; the snapshot and the fan-out of batches are in fanout.py.

Which state allows which action is the table's (``broadcasts/workflow.py``): every staff
action checks it with ``WORKFLOW.require`` under the broadcast's row lock. Refusals are
``portal.errors.DomainError`` (``NotAllowed`` for the four-eyes rule). Services take the
acting staff member and ``ctx`` (the view's ``AuditContext``: its address for the audit).

The 50-recipient minimum lives in exactly one place: ``ensure_minimum`` (and the snapshot
check in ``fanout.broadcast_start``, which applies the same rule to the frozen recipient set).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import audit_record
from portal import access
from portal.context import AuditContext
from portal.errors import DomainError, NotAllowed
from portal.line import chat as line_chat
from portal.line import dimensions as line_dimensions
from portal.line import sender
from portal.line.language import NAMES, TRANSLATION_LANGUAGES

from . import audit as actions
from . import disaster, fanout, images, selectors
from .approval import Approval
from .fanout import line_messages
from .models import (
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

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

S = Broadcast.Status
F = TypeVar("F", bound=Callable[..., Any])

# What an approver approves (re-exported: a read, kept in selectors).
content_version = selectors.content_version

APPROVAL = Approval(
    model=Broadcast,
    field="broadcast",
    comments=Comment,
    editors=BroadcastEditor,
    workflow_module="broadcasts.workflow",
    not_allowed=gettext_lazy("配信を承認する権限がありません。"),
    own_draft=gettext_lazy("自分が起案した配信は承認できません。"),
    edited=gettext_lazy("自分が編集した配信は承認できません（ほかの承認者に依頼してください）。"),
    no_version=gettext_lazy("承認する内容の版（version）が指定されていません。確認ページから承認してください。"),
    changed=gettext_lazy("確認した後に配信の内容が変更されています。最新の内容をもう一度確認してから承認してください。"),
)


class BelowMinimum(DomainError):
    """The segment reaches fewer than 50 residents (never says how many)."""

    default_code = "below_minimum"

    def __init__(self) -> None:
        super().__init__(_("配信対象者が50人未満のため、この操作はできません（最低配信人数は50人です）。"))


# -- the one rule ------------------------------------------------------------------------


class MinimumCheckLimit(DomainError):
    """This staff member has used up today's refusals of the exact 50 check."""

    default_code = "minimum_check_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(
            _(
                "本日の人数確認（50人未満による不可）の上限%(limit)s回に達したため、今日はこれ以上確認できません。"
                "明日以降にもう一度お試しください。"
            )
            % {"limit": limit},
            details={"limit": limit},
        )


def _refusals_today(actor: User) -> int:
    from accounts.models import AuditEntry

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditEntry.objects.filter(actor=actor, action=actions.MINIMUM_REFUSED, at__gte=start).count()


def ensure_minimum(*, broadcast: Broadcast, actor: User | None = None) -> None:
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


def _refusal_audited(func: F) -> F:
    """Audit an under-50 refusal (the entry stays and counts towards the daily limit) while
    the staff member's row is still locked: the service runs in a savepoint inside one
    transaction that holds the lock from before the check until the refusal is recorded, so
    parallel requests (several web processes) each see the refusals before them and never
    get more than the limit."""
    from django.contrib.auth import get_user_model

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = kwargs.get("actor") or kwargs.get("approver")
        refusal: DomainError
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
                        ctx=kwargs.get("ctx"),
                        step=func.__name__.removeprefix("broadcast_"),
                    )
            except MinimumCheckLimit as exc:
                refusal = exc
                _audit(actions.MINIMUM_LIMITED, actor=actor, broadcast=kwargs["broadcast"], ctx=kwargs.get("ctx"))
        raise refusal

    return wrapper  # type: ignore[return-value]


def _require(action: str, broadcast: Broadcast) -> None:
    """The table's state check (Conflict when ``action`` may not start from this state)."""
    from .workflow import WORKFLOW

    WORKFLOW.require(action, broadcast)


def _require_permission(action: str, actor: User, message: str) -> None:
    """The action's permission, as the table declares it (for callers other than its views)."""
    from .workflow import WORKFLOW

    if not access.user_passes(actor, WORKFLOW.action(action).permission):
        raise NotAllowed(message)


def _delete_files(files: Sequence[FieldFile]) -> None:
    for f in files:
        if f.name:
            f.storage.delete(f.name)


def _lock(broadcast: Broadcast) -> Broadcast:
    return Broadcast.objects.select_for_update().get(pk=broadcast.pk)


def _audit(action: str, *, actor: User | None, broadcast: Broadcast, ctx: AuditContext | None = None, **detail: Any) -> None:
    audit_record(action=action, actor=actor, ctx=ctx, target=broadcast, detail=detail)


# -- compose -----------------------------------------------------------------------------


def image_upload(*, data: bytes, actor: User) -> BroadcastImage:
    converted = images.convert(data)
    image = BroadcastImage(uploaded_by=actor, width=converted.width, height=converted.height)
    name = uuid.uuid4().hex
    image.original.save(f"{name}.jpg", ContentFile(converted.original), save=False)
    image.preview.save(f"{name}-preview.jpg", ContentFile(converted.preview), save=False)
    image.save()
    return image


def _clean_translations(given: Any) -> dict[str, str]:
    """A text bubble's translations: known languages only, blank ones dropped, LINE's length."""
    if not isinstance(given, dict):
        raise DomainError(_("翻訳の形式が不正です。"), code="bad_translation")
    unknown = set(given) - set(TRANSLATION_LANGUAGES)
    if unknown:
        raise DomainError(_("翻訳できない言語が指定されています。"), code="bad_translation")
    cleaned: dict[str, str] = {}
    for code in TRANSLATION_LANGUAGES:
        text = str(given.get(code) or "").strip()
        if not text:
            continue
        if line_chat.text_length(text) > TEXT_MAX:
            raise DomainError(
                _("%(language)sの翻訳は%(max)s文字以内にしてください。") % {"language": NAMES[code], "max": TEXT_MAX},
                code="text_too_long",
            )
        cleaned[code] = text
    return cleaned


def _clean_bubbles(bubbles: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for bubble in bubbles:
        kind = bubble.get("type", "text")
        if kind == "text":
            text = (bubble.get("text") or "").strip()
            if not text:
                continue
            if line_chat.text_length(text) > TEXT_MAX:  # as LINE counts: an emoji is 2
                raise DomainError(_("テキストは%(max)s文字以内にしてください。") % {"max": TEXT_MAX}, code="text_too_long")
            translations = _clean_translations(bubble.get("translations") or {})
            cleaned.append({"type": "text", "text": text, "image": None, "translations": translations})
        elif kind == "image":
            image = bubble.get("image")
            if isinstance(image, int | str) and str(image).isdigit():
                image = BroadcastImage.objects.filter(pk=int(image)).first()
            if image is None:
                raise DomainError(_("画像が見つかりません。"), code="image_missing")
            cleaned.append({"type": "image", "text": "", "image": image, "translations": {}})
        else:
            raise DomainError(_("吹き出しの種類が不正です。"), code="bad_bubble")
    if len(cleaned) > MAX_BUBBLES:
        raise DomainError(_("吹き出しは%(max)s個までです。") % {"max": MAX_BUBBLES}, code="too_many_bubbles")
    return cleaned


@transaction.atomic
def broadcast_save(
    *,
    actor: User,
    broadcast: Broadcast | None = None,
    title: str,
    kind: str = Broadcast.Kind.NORMAL,
    audience: str = Broadcast.Audience.ALL,
    age_bands: Sequence[str] = (),
    area_ids: Sequence[int] = (),
    interest_ids: Sequence[int] = (),
    exclude_broadcast_id: int | None = None,
    dimension_filters: Mapping[Any, Sequence[Any]] | None = None,
    scheduled_at: datetime | None = None,
    bubbles: Sequence[dict[str, Any]],
    ctx: AuditContext | None = None,
) -> Broadcast:
    """Create or edit a draft. Editing anything past 下書き/差し戻し returns it to 下書き."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("管理用タイトルを入力してください。"), code="title_required")
    if kind not in Broadcast.Kind.values or audience not in Broadcast.Audience.values:
        raise DomainError(_("配信の種別または配信範囲が不正です。"), code="bad_audience")
    if kind == Broadcast.Kind.EMERGENCY:
        audience, age_bands, area_ids, interest_ids, exclude_broadcast_id = Broadcast.Audience.ALL, (), (), (), None
        dimension_filters = None
        scheduled_at = None  # an emergency broadcast always goes out on approval
    if scheduled_at is not None and scheduled_at <= timezone.now():
        raise DomainError(_("予約日時には未来の日時を指定してください。"), code="bad_time")
    cleaned = _clean_bubbles(bubbles)
    if kind == Broadcast.Kind.EMERGENCY:  # one message to all friends: Japanese only (fanout.py)
        cleaned = [{**b, "translations": {}} for b in cleaned]
    segment = selectors.Segment.build(
        everyone=audience == Broadcast.Audience.ALL,
        age_bands=age_bands,
        area_ids=area_ids,
        interest_ids=interest_ids,
        exclude_broadcast_id=exclude_broadcast_id,
        # Only admin-defined dimensions and their own options (the LINE layer checks).
        dimensions=line_dimensions.filters_clean(dimension_filters) if audience == Broadcast.Audience.SEGMENT else None,
    )
    if segment.exclude_broadcast_id and not selectors.excludable_broadcasts().filter(pk=segment.exclude_broadcast_id).exists():
        raise DomainError(_("除外できる過去の配信ではありません。"), code="bad_exclude")
    creating = broadcast is None
    previous: str
    if broadcast is None:
        broadcast = Broadcast(author=actor)
        previous = S.DRAFT
    else:
        broadcast = _lock(broadcast)
        _require("edit", broadcast)
        previous = broadcast.status
    broadcast.title = title[:100]
    broadcast.kind = kind
    broadcast.audience = audience
    broadcast.age_bands = list(segment.age_bands)
    broadcast.area_ids = list(segment.area_ids)
    broadcast.interest_ids = list(segment.interest_ids)
    broadcast.dimension_filters = segment.dimension_filters
    broadcast.exclude_broadcast_id = segment.exclude_broadcast_id
    broadcast.scheduled_at = scheduled_at
    broadcast.status = S.RETURNED if previous == S.RETURNED else S.DRAFT
    broadcast.approver = None
    broadcast.approved_at = None
    broadcast.save()
    broadcast.bubbles.all().delete()
    Bubble.objects.bulk_create(
        Bubble(broadcast=broadcast, position=i, type=b["type"], text=b["text"], image=b["image"], translations=b["translations"])
        for i, b in enumerate(cleaned)
    )
    BroadcastEditor.objects.get_or_create(broadcast=broadcast, user=actor)
    if creating:
        _audit(actions.CREATED, actor=actor, broadcast=broadcast, ctx=ctx)
    else:
        _audit(actions.EDITED, actor=actor, broadcast=broadcast, ctx=ctx, previous_status=previous)
    return broadcast


def _require_content(broadcast: Broadcast) -> None:
    if not broadcast.bubbles.exists():
        raise DomainError(_("メッセージを1つ以上入力してください。"), code="no_messages")
    if broadcast.bubbles.filter(text__contains=disaster.PLACEHOLDER).exists():
        raise DomainError(
            _("「%(mark)s」が残っています。テンプレートの「%(mark)s」を実際の内容に書き換えてから申請してください。")
            % {"mark": disaster.PLACEHOLDER},
            code="placeholder_left",
        )


# -- approval life cycle -----------------------------------------------------------------


@_refusal_audited
@transaction.atomic
def broadcast_submit(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> Broadcast:
    """承認申請 (refused below the 50-recipient minimum)."""
    broadcast = _lock(broadcast)
    _require("submit", broadcast)
    _require_content(broadcast)
    ensure_minimum(broadcast=broadcast, actor=actor)
    return APPROVAL.submitted(broadcast, actor=actor, ctx=ctx, audit_action=actions.SUBMITTED)


@_refusal_audited
@transaction.atomic
def broadcast_approve(
    *, broadcast: Broadcast, approver: User, version: str, comment: str = "", ctx: AuditContext | None = None
) -> Broadcast:
    """承認 of the version the approver reviewed (``content_version``); refused when the
    broadcast changed since, or when the approver created or edited it. What happens next is
    what the author chose on the compose page: 予約配信 (a future ``scheduled_at``) makes it
    予約済; 承認後すぐに配信 — and every emergency broadcast — starts sending now, with no
    further action (a 予約配信 whose time passed while it waited for approval starts now too)."""
    broadcast = _lock(broadcast)
    APPROVAL.check_approver(broadcast, approver)
    _require("approve", broadcast)
    APPROVAL.check_version(version, content_version(broadcast))
    ensure_minimum(broadcast=broadcast, actor=approver)
    now = timezone.now()
    broadcast.approver = approver
    broadcast.approved_at = now
    broadcast.status = S.APPROVED
    if broadcast.scheduled_at and broadcast.scheduled_at > now and not broadcast.is_emergency:
        broadcast.status = S.SCHEDULED
    broadcast.save(update_fields=["approver", "approved_at", "status", "updated_at"])
    if comment.strip():
        APPROVAL.comment(broadcast, author=approver, action="approved", body=comment)
    _audit(actions.APPROVED, actor=approver, broadcast=broadcast, ctx=ctx, scheduled=broadcast.status == S.SCHEDULED)
    if broadcast.status == S.APPROVED:
        broadcast.status = S.SENDING  # started_at stays empty until the snapshot is taken
        broadcast.save(update_fields=["status", "updated_at"])
        _enqueue_start(broadcast)
    return broadcast


@transaction.atomic
def broadcast_return(*, broadcast: Broadcast, approver: User, comment: str, ctx: AuditContext | None = None) -> Broadcast:
    """差し戻し with a comment for the author."""
    return APPROVAL.returned(broadcast, approver=approver, comment=comment, ctx=ctx, audit_action=actions.RETURNED)


@_refusal_audited
@transaction.atomic
def broadcast_schedule(
    *, broadcast: Broadcast, actor: User, scheduled_at: datetime | None, ctx: AuditContext | None = None
) -> Broadcast:
    """予約 (or a new 予約日時) for an approved broadcast. The schedule is part of what was
    approved (``content_version``), so a changed time goes back to 申請中 and needs a new
    approval (the approval then makes it 予約済); whoever changed it is recorded as an
    editor and may not approve it. The same time again changes nothing."""
    broadcast = _lock(broadcast)
    _require("schedule", broadcast)
    if broadcast.is_emergency:
        raise DomainError(_("緊急配信は予約できません。"), code="bad_state")
    if scheduled_at is None or scheduled_at <= timezone.now():
        raise DomainError(_("予約日時には未来の日時を指定してください。"), code="bad_time")
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
        ctx=ctx,
        scheduled_at=scheduled_at.isoformat(),
        previous_status=previous,
        needs_approval=True,
    )
    return broadcast


@transaction.atomic
def broadcast_cancel(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> Broadcast:
    """中止 of a broadcast that was submitted, until sending starts (a draft is deleted
    instead: ``broadcast_delete``)."""
    broadcast = _lock(broadcast)
    _require("cancel", broadcast)
    broadcast.status = S.CANCELLED
    broadcast.halt_reason = Broadcast.HaltReason.CANCELLED_BY_STAFF
    broadcast.finished_at = timezone.now()
    broadcast.save(update_fields=["status", "halt_reason", "finished_at", "updated_at"])
    _audit(actions.CANCELLED, actor=actor, broadcast=broadcast, ctx=ctx)
    return broadcast


@transaction.atomic
def broadcast_delete(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> str:
    """削除 of a draft (下書き or 差し戻し: never submitted since, nothing approved or sent).
    The audit entry stays (it names the broadcast); images no other broadcast uses go with
    it. Returns the deleted broadcast's title."""
    broadcast = _lock(broadcast)
    _require("delete", broadcast)
    title = broadcast.title
    _audit(actions.DELETED, actor=actor, broadcast=broadcast, ctx=ctx, title=title)
    image_ids = list(broadcast.bubbles.exclude(image=None).values_list("image_id", flat=True))
    broadcast.delete()
    unused = BroadcastImage.objects.filter(pk__in=image_ids).exclude(
        pk__in=Bubble.objects.filter(image_id__in=image_ids).values("image_id")
    )
    for image in unused:
        files = [image.original, image.preview]
        image.delete()
        transaction.on_commit(functools.partial(_delete_files, files))
    return title


@_refusal_audited
@transaction.atomic
def broadcast_send(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> Broadcast:
    """今すぐ配信 of an approved broadcast: checked now, checked again on the snapshot."""
    broadcast = _lock(broadcast)
    _require("send", broadcast)
    ensure_minimum(broadcast=broadcast, actor=actor)
    broadcast.status = S.SENDING  # started_at stays empty until the snapshot is taken
    broadcast.save(update_fields=["status", "updated_at"])
    _audit(actions.SEND_REQUESTED, actor=actor, broadcast=broadcast, ctx=ctx)
    _enqueue_start(broadcast)
    return broadcast


def _enqueue_start(broadcast: Broadcast) -> None:
    from .tasks import start_broadcast

    broadcast_id = broadcast.pk
    transaction.on_commit(lambda: start_broadcast.delay(broadcast_id))


def reach_cells_refresh() -> int:
    """Rebuild the reach cells from the LINE layer's grouping of reachable residents (one
    GROUP BY); returns how many cells."""
    from portal.line import residents as line_residents

    from .models import ReachCell

    now = timezone.now()
    cells = [
        ReachCell(age_band=c.age_band, area_id=c.area_id, interest_bits=c.interest_bits, residents=c.residents, refreshed_at=now)
        for c in line_residents.cells()
    ]
    with transaction.atomic():
        ReachCell.objects.all().delete()
        ReachCell.objects.bulk_create(cells, batch_size=2000)
    return len(cells)


@transaction.atomic
def broadcast_retry_failed(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> int:
    """An approver sends the failed batches again, each with its own (unchanged) retry key."""
    _require_permission("retry", actor, _("失敗したバッチを再送する権限がありません。"))
    broadcast = _lock(broadcast)
    _require("retry", broadcast)
    from .recipients import PREFIX

    # A failed batch whose list was hashed past its retention period can no longer be sent.
    failed = Batch.objects.filter(broadcast=broadcast, status=Batch.Status.FAILED).exclude(line_user_ids__0__startswith=PREFIX)
    count = failed.update(status=Batch.Status.PENDING, error="")
    broadcast.status = S.SENDING
    broadcast.finished_at = None
    broadcast.save(update_fields=["status", "finished_at", "updated_at"])
    _audit(actions.RETRIED, actor=actor, broadcast=broadcast, ctx=ctx, batches=count)
    transaction.on_commit(lambda: fanout.batches_enqueue(broadcast_id=broadcast.pk))
    return count


def broadcast_test_send(*, broadcast: Broadcast, actor: User, ctx: AuditContext | None = None) -> None:
    """テスト配信: one push of the bubbles to the staff member's own linked LINE account
    (staff_line.py) and to nobody else. It creates no batch and changes nothing on the
    broadcast: a test counts toward no total, no exclusion and no progress."""
    from portal.line.models import Resident

    _require_permission("test_send", actor, _("テスト配信をする権限がありません。"))
    to = (getattr(actor, "line_test_user_id", "") or "").strip()
    if not to:
        raise DomainError(
            _("テスト配信用のLINEアカウントが連携されていません。「テスト配信用LINEの連携」から連携してください。"),
            code="no_test_account",
        )
    if not Resident.objects.filter(line_user_id=to, status=Resident.Status.ACTIVE).exists():
        raise DomainError(
            _("連携したLINEアカウントが公式アカウントを友だち追加していません（ブロック中）。友だち追加してからお試しください。"),
            code="test_account_not_friend",
        )
    messages = line_messages(broadcast=broadcast)
    if not messages:
        raise DomainError(_("メッセージを1つ以上入力してください。"), code="no_messages")
    if not sender.push(to=to, messages=messages, retry_key=uuid.uuid4()).delivered:
        raise DomainError(_("テスト配信を送れませんでした。しばらくしてからもう一度お試しください。"), code="line_error")
    _audit(actions.TEST_SENT, actor=actor, broadcast=broadcast, ctx=ctx)


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
