"""Reads of intake.questions: the matching indexes of the published version and of the draft
(cached per version by ``matching.index_for``), the ごみ分別 index, and the staff listings."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db.models import Count, Q, QuerySet, Subquery

from .gomi import GomiIndex
from .gomi import GomiItem as GomiEntry
from .matching import Entry, FaqIndex, Translation, index_for
from .models import FaqBase, FaqEntry, FaqVersion, GomiItem


def entry_from_content(key: str, content: dict[str, Any]) -> Entry:
    """The matching engine's view of one entry (a draft row's or a published snapshot's)."""
    translations = {
        lang: Translation(question=t.get("question", ""), answer=t.get("answer", ""))
        for lang, t in (content.get("translations") or {}).items()
    }
    return Entry(
        id=key,
        question=content["question"],
        answer=content["answer"],
        category=content.get("category", ""),
        variants=tuple(content.get("variants") or ()),
        keywords=tuple(content.get("keywords") or ()),
        link=content.get("link", ""),
        translations=MappingProxyType(translations),
        quick_replies=tuple(content.get("quick_replies") or ()),
    )


@dataclass(frozen=True)
class AnswerSources:
    """Which published version and which ごみ分別 dictionary the chat answers from now: the
    keys the process's indexes are cached under (the chat reads this once per batch)."""

    version_pk: int | None
    version_number: int | None
    version_token: str
    gomi_token: str

    @property
    def version_key(self) -> str:
        return f"published:{self.version_number}:{self.version_token}"  # FaqVersion.cache_key


def answer_sources() -> AnswerSources:
    """The newest version and the dictionary's token, in one query (the base's one row,
    with the newest version by its unique number)."""
    newest = FaqVersion.objects.order_by("-number")
    row = (
        FaqBase.objects.filter(pk=1)
        .annotate(
            v_pk=Subquery(newest.values("pk")[:1]),
            v_number=Subquery(newest.values("number")[:1]),
            v_token=Subquery(newest.values("token")[:1]),
        )
        .values_list("gomi_token", "v_pk", "v_number", "v_token")
        .first()
    )
    if row is None:  # the base's row is made on first use
        FaqBase.load()
        return answer_sources()
    gomi_token, v_pk, v_number, v_token = row
    return AnswerSources(version_pk=v_pk, version_number=v_number, version_token=v_token or "", gomi_token=gomi_token)


def published_version() -> FaqVersion | None:
    """The version the chat answers from (the newest), without its entries."""
    return FaqVersion.objects.defer("entries").order_by("-number").first()


def published_index(sources: AnswerSources | None = None) -> tuple[int | None, FaqIndex | None]:
    """The published version's number and its index (built once per version and process);
    ``sources``: as read for the batch (else read now)."""
    sources = sources or answer_sources()
    pk = sources.version_pk
    if pk is None:
        return None, None

    def load() -> Iterable[Entry]:
        rows = FaqVersion.objects.filter(pk=pk).values_list("entries", flat=True).first() or []
        return [entry_from_content(row["key"], row) for row in rows]

    return sources.version_number, index_for(sources.version_key, load)


def draft_entries() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.exclude(status__in=[FaqEntry.Status.WITHDRAWN, FaqEntry.Status.RETIRED]).order_by("key")


def draft_index() -> FaqIndex:
    """The draft's index, for 試してみる (rebuilt after each change to the draft)."""
    base = FaqBase.load()

    def load() -> Iterable[Entry]:
        return [entry_from_content(e.key, e.content()) for e in draft_entries()]

    return index_for(f"draft:{base.draft_token}", load)


_gomi_cache: dict[str, GomiIndex] = {}
_gomi_lock = threading.Lock()


def gomi_index(sources: AnswerSources | None = None) -> GomiIndex:
    """The ごみ分別 dictionary's index (rebuilt after each import); ``sources``: as read for
    the batch (else read now)."""
    token = sources.gomi_token if sources is not None else FaqBase.load().gomi_token
    index = _gomi_cache.get(token)
    if index is None:
        items = [
            GomiEntry(kind=kind, name=name, note=note, kana=kana)
            for kind, name, note, kana in GomiItem.objects.order_by("order", "pk").values_list("kind", "name", "note", "kana")
        ]
        index = GomiIndex(items)
        with _gomi_lock:
            _gomi_cache.clear()
            _gomi_cache[token] = index
    return index


def entry_list(*, query: str = "", category: str = "", status: str = "") -> QuerySet[FaqEntry]:
    """Entries for the staff list: search in the question, variants, keywords, answer and ID."""
    entries = FaqEntry.objects.order_by("key")
    if query:
        entries = entries.filter(
            Q(key__icontains=query)
            | Q(question__icontains=query)
            | Q(answer__icontains=query)
            | Q(variants__icontains=query)
            | Q(keywords__icontains=query)
        )
    if category:
        entries = entries.filter(category=category)
    if status:
        entries = entries.filter(status=status)
    return entries


def categories() -> list[str]:
    return sorted(c for c in FaqEntry.objects.order_by().values_list("category", flat=True).distinct() if c)


def draft_summary() -> dict[str, int]:
    """What the next 公開 changes: entries per state."""
    counts = dict.fromkeys(FaqEntry.Status.values, 0)
    for row in FaqEntry.objects.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def gomi_list(*, query: str = "", kind: str = "") -> QuerySet[GomiItem]:
    items = GomiItem.objects.order_by("order", "pk")
    if query:
        items = items.filter(Q(name__icontains=query) | Q(kana__icontains=query) | Q(note__icontains=query))
    if kind:
        items = items.filter(kind=kind)
    return items


def gomi_kinds() -> list[str]:
    return list(GomiItem.objects.order_by("kind").values_list("kind", flat=True).distinct())
