"""Reads of the staff inbox: the list (one query, with the latest message's first words and
the counts per state), one conversation's timeline (the LINE layer's chat log merged with
staff replies and notes), who may be assigned, how long a conversation has been open.

Counts here are of conversations per state, never of residents by any attribute: no figure
is broken down by area, age, language or anything else that describes residents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from portal.line import chatroom
from portal.line.language import NAMES
from portal.line.models import ChatLogEntry

from .models import Inquiry, InquiryEntry, ReplyTemplate

# The chat log shown with a conversation starts this long before it opened: the question the
# FAQ could not answer and what the bot said, before the resident asked for staff.
CONTEXT_BEFORE = dt.timedelta(minutes=30)
PREVIEW_CHARS = 40
PAGE_SIZE = 50  # conversations a page of the list (the page and the API)


def inquiry_list(*, status: str = "", team: str = "", assignee: Any = None) -> QuerySet[Inquiry]:
    """Conversations for the list, newest resident message first, each with ``preview``
    (the first words of the resident's latest logged message) and its assignee."""
    latest = (
        ChatLogEntry.objects.filter(
            resident_id=OuterRef("resident_id"), direction=ChatLogEntry.Direction.RESIDENT, created_at__gte=OuterRef("opened_at")
        )
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )
    qs = Inquiry.objects.select_related("assignee").annotate(
        preview=Substr(Subquery(latest), 1, PREVIEW_CHARS),
        # the chosen language's name (受信設定), shown next to the preview; never counted
        language_name=Case(*(When(resident__language=c, then=Value(n)) for c, n in NAMES.items()), default=Value("")),
        resident_language_code=F("resident__language"),
    )
    if status:
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(team=team)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    return qs.order_by("-last_message_at", "-pk")


def status_counts() -> dict[str, int]:
    """Conversations per state (未対応 / 対応中 / 完了), in one query."""
    rows = Inquiry.objects.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    counts = {status: 0 for status in Inquiry.Status.values}
    counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class Line:
    """One line of a conversation's timeline."""

    at: dt.datetime
    who: str  # resident | bot | staff | note
    text: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    author: str = ""
    delivery: str = ""
    read: bool = False


def inquiry_timeline(*, inquiry: Inquiry) -> list[Line]:
    """What the resident wrote and what the bot answered (the chat log, from a little before
    the conversation opened until it closed), with staff replies and notes, in time order."""
    log = chatroom.chat_log(resident=inquiry.resident_id, since=inquiry.opened_at - CONTEXT_BEFORE, until=inquiry.closed_at)
    lines = [
        Line(
            at=row.created_at,
            who="resident" if row.direction == ChatLogEntry.Direction.RESIDENT else "bot",
            text=row.text or chatroom.kind_label(row.kind),
            kind=row.kind,
            choices=tuple(row.choices or ()),
            read=row.read_at is not None,
        )
        for row in log
    ]
    for entry in inquiry.entries.select_related("author"):
        lines.append(
            Line(
                at=entry.created_at,
                who="staff" if entry.kind == InquiryEntry.Kind.REPLY else "note",
                text=entry.text,
                author=entry.author.get_short_name() if entry.author else "",
                delivery=entry.get_delivery_display() if entry.kind == InquiryEntry.Kind.REPLY else "",
            )
        )
    lines.sort(key=lambda line: line.at)
    return lines


def hours_open(inquiry: Inquiry, *, now: dt.datetime | None = None) -> float:
    """Hours from opening to closing (or to now, while open)."""
    end = inquiry.closed_at or now or timezone.now()
    return max(0.0, (end - inquiry.opened_at).total_seconds() / 3600)


def open_for_label(inquiry: Inquiry, *, now: dt.datetime | None = None) -> str:
    """「3時間」「2日5時間」「30分未満」 in staff's words."""
    hours = hours_open(inquiry, now=now)
    if hours < 0.5:
        return "30分未満"
    whole = int(hours)
    if whole < 24:
        return f"{max(whole, 1)}時間"
    return f"{whole // 24}日{whole % 24}時間"


def resident_language(inquiry: Inquiry) -> str:
    """The name of the language the resident chose in 受信設定 (``Resident.language``), else ""."""
    return NAMES.get(str(inquiry.resident.language or ""), "")


def assignable_staff() -> QuerySet[Any]:
    """Active staff who may be assigned a conversation (they hold 問い合わせ対応)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__permissions__codename="handle_inquiries")
        .distinct()
        .order_by("full_name", "pk")
    )


def reply_templates() -> QuerySet[ReplyTemplate]:
    return ReplyTemplate.objects.filter(is_active=True)
