"""Writes of the staff inbox: a resident's message handed to staff, and staff's actions on a
conversation (start, assign, close, reopen, reply, note). Every state change asks the table
(``workflow.WORKFLOW.require``) under the conversation's row lock. Replies go out through the
LINE layer after the commit, exactly once per submitted form (``chatroom.answer`` with the
entry's key: the reply token while it is valid, else a push)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Perm
from portal.context import AuditContext
from portal.db import insert_returning, mark_saved
from portal.errors import Conflict, DomainError
from portal.line import chatroom
from portal.line.chat import text_length, text_message
from portal.line.models import Resident

from .models import Inquiry, InquiryEntry, ReplyTemplate, Team

S = Inquiry.Status
REPLY_PURPOSE = "inbox-reply"


def _workflow() -> Any:
    from .workflow import WORKFLOW

    return WORKFLOW


def _locked(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().get(pk=inquiry.pk)


# -- from the chat ---------------------------------------------------------------------------
def residents_with_open_inquiry(*, resident_ids: Collection[int]) -> set[int]:
    """Which of these residents have an open conversation (one query for a batch of chat
    events; ``inquiry_receive``'s ``known_open``)."""
    if not resident_ids:
        return set()
    return set(Inquiry.objects.filter(resident_id__in=resident_ids).exclude(status=S.DONE).values_list("resident_id", flat=True))


def _inquiry_insert(inquiry: Inquiry) -> bool:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: False (nothing written) when the
    resident already has an open conversation (the one-open-per-resident constraint)."""
    written = insert_returning([inquiry])
    if not written:
        return False
    mark_saved(inquiry, written[0][0])
    return True


def inquiry_receive(*, resident: Resident, known_open: bool | None = None) -> tuple[Inquiry, bool]:
    """A resident's message for staff: added to their open conversation, or opening one.
    Returns (conversation, whether it was opened now). ``known_open=False``: a read for the
    batch found none open (``residents_with_open_inquiry``), so one INSERT opens it, a
    single statement in the caller's transaction (no savepoint: should it fail, the batch
    fails and its events are processed one by one, with retries); should one have been
    opened since, it is found and added to as usual."""
    now = timezone.now()
    if known_open is False:
        inquiry = Inquiry(resident=resident, opened_at=now, last_message_at=now, updated_at=now)
        with transaction.atomic(savepoint=False):
            if _inquiry_insert(inquiry):
                return inquiry, True
    return _inquiry_receive_locked(resident, now)


@transaction.atomic
def _inquiry_receive_locked(resident: Resident, now: dt.datetime) -> tuple[Inquiry, bool]:
    inquiry = Inquiry.objects.select_for_update().filter(resident=resident).exclude(status=S.DONE).first()
    if inquiry is not None:
        Inquiry.objects.filter(pk=inquiry.pk).update(last_message_at=now, updated_at=now, unread=True)
        inquiry.last_message_at = inquiry.updated_at = now
        inquiry.unread = True
        return inquiry, False
    try:
        with transaction.atomic():
            inquiry = Inquiry.objects.create(resident=resident, opened_at=now, last_message_at=now, updated_at=now)
    except IntegrityError:  # opened at the same moment by another event of theirs
        inquiry = Inquiry.objects.select_for_update().filter(resident=resident).exclude(status=S.DONE).get()
        return inquiry, False
    return inquiry, True


def inquiry_is_open(*, resident: Resident) -> bool:
    return Inquiry.objects.filter(resident=resident).exclude(status=S.DONE).exists()


# -- staff actions (the table's services) ------------------------------------------------------
def _touch(inquiry: Inquiry, now: dt.datetime, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(inquiry, name, value)
    inquiry.updated_at = now
    inquiry.save(update_fields=[*fields, "updated_at"])


def _handler(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm(Perm.HANDLE_INQUIRIES))


@transaction.atomic
def inquiry_start(inquiry: Inquiry, *, ctx: AuditContext) -> Inquiry:
    """対応を始める: 未対応 → 対応中; the one who starts it is its assignee unless one is set."""
    inquiry = _locked(inquiry)
    _workflow().require("start", inquiry)
    fields: dict[str, Any] = {"status": S.OPEN}
    if inquiry.assignee_id is None and _handler(ctx.actor):
        fields["assignee"] = ctx.actor
    _touch(inquiry, timezone.now(), **fields)
    return inquiry


@transaction.atomic
def inquiry_assign(inquiry: Inquiry, *, ctx: AuditContext, team: str, assignee: Any = None) -> Inquiry:
    """担当を変更: a team, and optionally a person of that team (the state stays)."""
    inquiry = _locked(inquiry)
    _workflow().require("assign", inquiry)
    if team not in Team.values:
        raise DomainError(_("担当チームを選んでください。"), code="invalid_team")
    if assignee is not None and not _handler(assignee):
        raise DomainError(_("この職員は問い合わせを担当できません。"), code="invalid_assignee")
    _touch(inquiry, timezone.now(), team=team, assignee=assignee)
    return inquiry


@transaction.atomic
def inquiry_close(inquiry: Inquiry, *, ctx: AuditContext) -> Inquiry:
    """完了にする: the resident's next message opens a new conversation."""
    inquiry = _locked(inquiry)
    _workflow().require("close", inquiry)
    now = timezone.now()
    _touch(inquiry, now, status=S.DONE, closed_at=now)
    return inquiry


@transaction.atomic
def inquiry_reopen(inquiry: Inquiry, *, ctx: AuditContext) -> Inquiry:
    """対応を再開: 完了 → 対応中, unless the resident has opened a newer conversation since."""
    inquiry = _locked(inquiry)
    _workflow().require("reopen", inquiry)
    if Inquiry.objects.filter(resident_id=inquiry.resident_id).exclude(status=S.DONE).exists():
        raise Conflict(_("この住民には対応中の新しい問い合わせがあります。そちらで対応してください。"), code="newer_inquiry")
    _touch(inquiry, timezone.now(), status=S.OPEN, closed_at=None)
    return inquiry


def _entry(
    inquiry: Inquiry, *, ctx: AuditContext, kind: str, text: str, submission_key: uuid.UUID, template: ReplyTemplate | None
) -> tuple[InquiryEntry, bool]:
    existing = InquiryEntry.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = InquiryEntry.objects.create(
                inquiry=inquiry,
                kind=kind,
                text=text,
                author=ctx.actor if getattr(ctx.actor, "pk", None) else None,
                template=template,
                submission_key=submission_key,
            )
    except IntegrityError:  # the same form submitted twice at once
        return InquiryEntry.objects.get(submission_key=submission_key), False
    return entry, True


@transaction.atomic
def inquiry_reply(
    inquiry: Inquiry,
    *,
    ctx: AuditContext,
    text: str = "",
    template: ReplyTemplate | None = None,
    submission_key: uuid.UUID,
) -> InquiryEntry:
    """返信する (the state stays): the text (or the template's) is saved once per
    ``submission_key`` and sent to the resident after the commit, once."""
    inquiry = _locked(inquiry)
    _workflow().require("reply", inquiry)
    body = (text or "").strip() or (template.text if template is not None else "")
    if not body:
        raise DomainError(_("返信の文面を入力するか、テンプレートを選んでください。"), code="empty_reply")
    if text_length(body) > 5000:
        raise DomainError(_("返信は5,000文字以内にしてください。"), code="reply_too_long")
    entry, created = _entry(
        inquiry, ctx=ctx, kind=InquiryEntry.Kind.REPLY, text=body, submission_key=submission_key, template=template
    )
    if created:
        _touch(inquiry, entry.created_at)
        transaction.on_commit(lambda: inquiry_reply_send(entry_id=entry.pk))
    return entry


def inquiry_reply_send(*, entry_id: int) -> str:
    """Send a saved reply through the LINE layer (once per entry: its dedupe key); records
    how it went (応答 or プッシュ). Run after the commit that saved it."""
    entry = InquiryEntry.objects.select_related("inquiry__resident").get(pk=entry_id, kind=InquiryEntry.Kind.REPLY)
    delivery = chatroom.answer(
        resident=entry.inquiry.resident,
        messages=[text_message(entry.text)],
        dedupe_key=entry.dedupe_key,
        purpose=REPLY_PURPOSE,
    )
    if delivery in ("reply", "push", "unknown"):
        InquiryEntry.objects.filter(pk=entry.pk, delivery="").update(delivery=delivery)
    return delivery


@transaction.atomic
def inquiry_note(inquiry: Inquiry, *, ctx: AuditContext, text: str, submission_key: uuid.UUID) -> InquiryEntry:
    """メモを追加: an internal note, never sent to the resident (the state stays)."""
    inquiry = _locked(inquiry)
    _workflow().require("note", inquiry)
    body = (text or "").strip()
    if not body:
        raise DomainError(_("メモを入力してください。"), code="empty_note")
    entry, created = _entry(
        inquiry, ctx=ctx, kind=InquiryEntry.Kind.NOTE, text=body, submission_key=submission_key, template=None
    )
    if created:
        _touch(inquiry, entry.created_at)
    return entry


def inquiry_mark_seen(*, inquiry: Inquiry, ctx: AuditContext) -> bool:
    """A handler opened the conversation: its resident's messages are read (LINE's 既読
    through ``chatroom.mark_read``) and it is no longer unread in the inbox. Auditors'
    reading changes nothing the resident sees."""
    if not _handler(ctx.actor):
        return False
    Inquiry.objects.filter(pk=inquiry.pk, unread=True).update(unread=False)
    return chatroom.mark_read(resident=inquiry.resident)


# -- retention -----------------------------------------------------------------------------------
def inquiries_purge(*, cutoff: dt.datetime) -> dict[str, int]:
    """Delete conversations (with their replies and notes) whose last activity was before
    ``cutoff``, whatever their state, and those of residents whose personal data was purged.
    Set-based, in batches of primary keys; idempotent."""
    total = entries = 0
    due = Inquiry.objects.filter(updated_at__lt=cutoff) | Inquiry.objects.filter(resident__purged_at__isnull=False)
    while True:
        ids = list(due.order_by().values_list("pk", flat=True)[:2000])
        if not ids:
            return {"inquiries": total, "entries": entries}
        entries += InquiryEntry.objects.filter(inquiry_id__in=ids).delete()[0]
        total += Inquiry.objects.filter(pk__in=ids).delete()[0]
