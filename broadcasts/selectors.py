"""Reads for broadcasts: who a segment reaches, lists, progress."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from portal.line import dimensions as line_dimensions
from portal.line import residents as line_residents
from portal.line.models import AgeBand, Area, Interest, Resident

from .models import Batch, Broadcast, Bubble

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Segment:
    """Who a broadcast goes to. OR inside one dimension, AND across dimensions; an empty
    dimension sets no condition. ``everyone``: 友だち全員 (still minus 配信停止)."""

    everyone: bool = True
    age_bands: tuple[str, ...] = ()
    area_ids: tuple[int, ...] = ()
    interest_ids: tuple[int, ...] = ()
    exclude_broadcast_id: int | None = None
    # Admin-defined dimensions: ((dimension id, (option ids …)), …), sorted; OR inside each.
    dimensions: tuple[tuple[int, tuple[int, ...]], ...] = ()

    @classmethod
    def build(
        cls,
        *,
        everyone: bool,
        age_bands: Iterable[str] = (),
        area_ids: Iterable[int] = (),
        interest_ids: Iterable[int] = (),
        exclude_broadcast_id: int | None = None,
        dimensions: Mapping[Any, Iterable[Any]] | None = None,
    ) -> Segment:
        dims: dict[int, set[int]] = {}
        for key, values in (dimensions or {}).items() if not everyone else ():
            ids = {int(v) for v in values}
            if ids:
                dims.setdefault(int(key), set()).update(ids)
        return cls(
            everyone=bool(everyone),
            age_bands=tuple(sorted({str(b) for b in age_bands if str(b) in AgeBand.values})),
            area_ids=tuple(sorted({int(a) for a in area_ids})),
            interest_ids=tuple(sorted({int(i) for i in interest_ids})),
            exclude_broadcast_id=int(exclude_broadcast_id) if exclude_broadcast_id else None,
            dimensions=tuple((k, tuple(sorted(v))) for k, v in sorted(dims.items())),
        )

    @classmethod
    def of(cls, broadcast: Broadcast) -> Segment:
        return cls.build(
            everyone=not broadcast.is_segment,
            age_bands=broadcast.age_bands or (),
            area_ids=broadcast.area_ids or (),
            interest_ids=broadcast.interest_ids or (),
            exclude_broadcast_id=broadcast.exclude_broadcast_id,
            dimensions=broadcast.dimension_filters or {},
        )

    @property
    def dimension_filters(self) -> dict[str, list[int]]:
        """The admin-defined dimensions as a broadcast stores them (JSON keys are strings)."""
        return {str(k): list(v) for k, v in self.dimensions}

    def as_json(self) -> str:
        data: dict[str, Any] = {
            "everyone": self.everyone,
            "age_bands": self.age_bands,
            "area_ids": self.area_ids,
            "interest_ids": self.interest_ids,
            "exclude": self.exclude_broadcast_id,
        }
        if self.dimensions:
            data["dimensions"] = self.dimension_filters
        return json.dumps(data, sort_keys=True)


def _delivered_ids_sql(broadcast_id: int) -> RawSQL:
    """LINE user ids a finished multicast broadcast reached (its delivered batches)."""
    table = Batch._meta.db_table
    if connection.vendor == "postgresql":
        sql = f"SELECT jsonb_array_elements_text(b.line_user_ids) FROM {table} b WHERE b.broadcast_id = %s AND b.status = %s"  # noqa: S608 - table name from the model
    else:
        sql = f"SELECT j.value FROM {table} b, json_each(b.line_user_ids) j WHERE b.broadcast_id = %s AND b.status = %s"  # noqa: S608
    return RawSQL(sql, (broadcast_id, Batch.Status.DONE))  # noqa: S611 - parameters bound


def _apply_segment(qs: QuerySet[Any], segment: Segment, *, area_field: str) -> QuerySet[Any]:
    """The segment's conditions on residents or reach cells (the LINE layer's encoding)."""
    if segment.everyone:
        return qs
    return line_residents.matching(
        qs,
        age_bands=segment.age_bands,
        area_ids=segment.area_ids,
        interest_ids=segment.interest_ids,
        area_field=area_field,
        dimension_options=[ids for _dim, ids in segment.dimensions],
    )


def segment_residents(*, segment: Segment) -> QuerySet[Resident]:
    """Residents the segment reaches now: friends (not blocked), not 配信停止."""
    qs = _apply_segment(line_residents.reachable(), segment, area_field="area_id")
    if segment.exclude_broadcast_id:
        # A sent batch keeps keyed hashes of its recipients (recipients.py), compared with
        # each resident's hash; a list not yet hashed still matches by LINE user ID.
        from .recipients import RecipientHash

        delivered = _delivered_ids_sql(segment.exclude_broadcast_id)
        qs = qs.alias(_recipient_hash=RecipientHash("line_user_id")).exclude(
            Q(line_user_id__in=delivered) | Q(_recipient_hash__in=delivered)
        )
    return qs


def segment_reach(*, segment: Segment) -> int:
    """The exact live count: only for the 50 rule (services.ensure_minimum) and the
    snapshot. Never shown; everything shown comes from privacy.py's release. From the LINE
    layer's exact per-cell counts (constant time), with admin-defined dimensions too; a
    segment that excludes a past broadcast's recipients is counted on the residents
    themselves."""
    if segment.exclude_broadcast_id:
        return segment_residents(segment=segment).count()
    if segment.everyone:
        return line_residents.count_in_segment()
    return line_residents.count_in_segment(
        age_bands=segment.age_bands,
        area_ids=segment.area_ids,
        interest_ids=segment.interest_ids,
        dimension_options=[ids for _dim, ids in segment.dimensions],
    )


def segment_line_user_ids(*, segment: Segment, chunk_size: int = 5000) -> Iterator[str]:
    """Stream the recipients' LINE user ids in a stable order (never one big list)."""
    return (
        segment_residents(segment=segment).order_by("pk").values_list("line_user_id", flat=True).iterator(chunk_size=chunk_size)
    )


def broadcast_list(*, status: str | None = None, with_bubbles: bool = False) -> QuerySet[Broadcast]:
    """Newest first. ``with_bubbles``: each row's bubbles (with their images) fetched in one
    more query for the whole list, as the API shows them and their content version."""
    qs = Broadcast.objects.select_related("author", "approver")
    if status:
        qs = qs.filter(status=status)
    if with_bubbles:
        qs = qs.prefetch_related(Prefetch("bubbles", queryset=Bubble.objects.select_related("image")))
    return qs


def bubbles_of(broadcast: Broadcast) -> list[Bubble]:
    """The broadcast's bubbles in order, with their images (the list's prefetch when there is one)."""
    cache: dict[str, Any] = getattr(broadcast, "_prefetched_objects_cache", {})
    if "bubbles" in cache:
        return list(cache["bubbles"])
    return list(broadcast.bubbles.select_related("image"))


def content_version(broadcast: Broadcast) -> str:
    """A hash of everything an approver approves (bubbles with their translations, targeting, exclusion, schedule,
    kind, title): the approval must name the version the approver reviewed."""
    # A bubble's translations join its entry only when it has some, so the version of a
    # broadcast without translations is what it was before translations existed.
    bubbles = [
        [b.type, b.text, str(b.image.token) if b.image is not None else ""] + ([b.translations] if b.translations else [])
        for b in bubbles_of(broadcast)
    ]
    data = {
        "title": broadcast.title,
        "kind": broadcast.kind,
        "audience": broadcast.audience,
        "age_bands": sorted(broadcast.age_bands or []),
        "area_ids": sorted(broadcast.area_ids or []),
        "interest_ids": sorted(broadcast.interest_ids or []),
        **({"dimensions": _sorted_filters(broadcast.dimension_filters)} if broadcast.dimension_filters else {}),
        "exclude": broadcast.exclude_broadcast_id,
        "scheduled_at": broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else None,
        "bubbles": bubbles,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def _sorted_filters(filters: Mapping[Any, Iterable[Any]]) -> dict[str, list[int]]:
    return {str(int(k)): sorted(int(v) for v in values) for k, values in filters.items() if values}


def pending_approval(*, user: User) -> QuerySet[Broadcast]:
    """What waits for this approver: not their own, not one they edited; emergencies
    first, then the oldest request."""
    from django.db.models import Case, IntegerField, Value, When

    from .models import BroadcastEditor

    edited = BroadcastEditor.objects.filter(user=user).values("broadcast_id")
    return (
        Broadcast.objects.filter(status=Broadcast.Status.PENDING)
        .exclude(author=user)
        .exclude(pk__in=edited)
        .select_related("author")
        .annotate(_urgent=Case(When(kind=Broadcast.Kind.EMERGENCY, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("_urgent", "submitted_at", "pk")
    )


def excludable_broadcasts() -> QuerySet[Broadcast]:
    """Earlier segment/multicast broadcasts whose recipients can be excluded."""
    return Broadcast.objects.filter(
        status__in=[Broadcast.Status.DONE, Broadcast.Status.PARTIAL], kind=Broadcast.Kind.NORMAL
    ).order_by("-finished_at", "-id")


@dataclass
class Progress:
    """Batch counts only: residents are shown through privacy.sent_figures()."""

    batches_total: int
    batches_done: int
    batches_failed: int
    batches_pending: int


def _progress(counts: dict[str, int]) -> Progress:
    total = sum(counts.values())
    done, failed = counts.get(Batch.Status.DONE, 0), counts.get(Batch.Status.FAILED, 0)
    return Progress(batches_total=total, batches_done=done, batches_failed=failed, batches_pending=total - done - failed)


def broadcast_progress(*, broadcast: Broadcast) -> Progress:
    return broadcasts_progress(broadcast_ids=[broadcast.pk])[broadcast.pk]


def broadcasts_progress(*, broadcast_ids: Iterable[int]) -> dict[int, Progress]:
    """Batch counts of several broadcasts in one query (a list's rows)."""
    ids = list(broadcast_ids)
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    if ids:
        rows = Batch.objects.filter(broadcast_id__in=ids).values_list("broadcast_id", "status").annotate(n=Count("id"))
        for broadcast_id, status, n in rows.order_by():
            counts[broadcast_id][status] = int(n)
    return {pk: _progress(c) for pk, c in counts.items()}


def segment_choices() -> dict[str, list[Any]]:
    return {
        "age_bands": list(AgeBand.choices),
        "areas": list(Area.objects.filter(is_active=True).values_list("pk", "name")),
        "interests": list(Interest.objects.filter(is_active=True).values_list("pk", "name")),
        # Every admin-defined dimension (性別, 子どもの年代, 校区 …) with its active options.
        "dimensions": line_dimensions.custom_dimensions(),
    }
