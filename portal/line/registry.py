"""The resident registry: a LINE friend's record, kept as LINE tells us (follow,
unfollow, a first message) and as the resident asks (配信停止 / 配信再開)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.db import insert_returning, mark_saved

from . import client, residents
from .client import LineError
from .models import Conversation, Resident

logger = logging.getLogger(__name__)


def _profile_name(line_user_id: str) -> str:
    try:
        return str(client.get_profile(user_id=line_user_id).get("displayName") or "")[:100]
    except LineError as exc:
        logger.info("profile unavailable (%s)", type(exc).__name__)
        return ""


def resident_follow(*, line_user_id: str) -> Resident:
    """Create or reactivate the resident; the display name comes from LINE's profile. A
    re-follow tells the segment listeners (``residents.segment_changed``): the resident's
    answers count again."""
    name = _profile_name(line_user_id)
    now = timezone.now()
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is None:
        try:
            with transaction.atomic():
                return Resident.objects.create(line_user_id=line_user_id, display_name=name, followed_at=now)
        except IntegrityError:
            resident = Resident.objects.get(line_user_id=line_user_id)
    resident.status = Resident.Status.ACTIVE
    resident.followed_at = now
    resident.blocked_at = None
    resident.purged_at = None
    if name:
        resident.display_name = name
    resident.save(update_fields=["status", "followed_at", "blocked_at", "purged_at", "display_name"])
    residents.segment_changed(resident=resident, refollowed=True)
    return resident


def resident_for_message(*, line_user_id: str) -> Resident:
    """The resident who sent a message (a friend from before the portal gets a record)."""
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is not None:
        return resident
    # No profile call here: the display name is only needed for a lookup, and a follow
    # (or the next one) fills it in; messages must not wait on LINE's profile endpoint.
    try:
        with transaction.atomic():
            return Resident.objects.create(line_user_id=line_user_id)
    except IntegrityError:
        return Resident.objects.get(line_user_id=line_user_id)


def residents_for_messages(*, line_user_ids: list[str]) -> dict[str, tuple[Resident, Conversation | None]]:
    """``resident_for_message`` for several senders at once, by LINE user ID, each with its
    stored conversation (or None): one SELECT (the conversations joined), and for senders
    not known yet one INSERT … ON CONFLICT DO NOTHING RETURNING id (a resident made now has
    no conversation); one that another transaction made meanwhile is read with a second
    SELECT. Inserted in sorted order, so two workers creating the same residents wait on
    each other instead of deadlocking."""
    wanted = sorted(set(line_user_ids))
    found = _with_conversations(wanted)
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        for resident in _residents_insert([Resident(line_user_id=uid) for uid in missing]):
            found[resident.line_user_id] = (resident, None)
        raced = [uid for uid in missing if uid not in found]
        if raced:
            found.update(_with_conversations(raced))
    return found


def _with_conversations(line_user_ids: list[str]) -> dict[str, tuple[Resident, Conversation | None]]:
    found = {}
    for resident in Resident.objects.filter(line_user_id__in=line_user_ids).select_related("conversation"):
        try:
            conversation = resident.conversation
        except Conversation.DoesNotExist:
            conversation = None
        # Handed out apart from the resident: a flow's later change must not leave a stale
        # copy cached on it.
        Resident.conversation.related.delete_cached_value(resident)
        found[resident.line_user_id] = (resident, conversation)
    return found


def _residents_insert(residents: list[Resident]) -> list[Resident]:
    """INSERT … ON CONFLICT (line_user_id) DO NOTHING RETURNING: the residents written (their
    pk set); one another transaction wrote first is not among them."""
    by_user = {r.line_user_id: r for r in residents}
    written = []
    for pk, line_user_id in insert_returning(residents, conflict=["line_user_id"], returning=["pk", "line_user_id"]):
        mark_saved(by_user[line_user_id], pk)
        written.append(by_user[line_user_id])
    return written


def resident_block(*, line_user_id: str) -> Resident | None:
    """Unfollow: the resident is excluded from every send; personal fields are purged
    after the retention period (``portal.line.retention.residents_purge_blocked``)."""
    resident = Resident.objects.filter(line_user_id=line_user_id).first()
    if resident is None:
        return None
    resident.status = Resident.Status.BLOCKED
    resident.blocked_at = timezone.now()
    resident.save(update_fields=["status", "blocked_at"])
    Conversation.objects.filter(resident=resident).delete()
    return resident


def resident_set_segment_opt_out(*, resident: Resident, opt_out: bool) -> Resident:
    changed = resident.segment_opt_out != opt_out
    resident.segment_opt_out = opt_out
    resident.save(update_fields=["segment_opt_out"])
    if changed:
        residents.segment_changed(resident=resident)
    return resident
