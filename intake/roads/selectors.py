"""Reads for road-damage reports: the triage queue, a report page, residents' own
reports, statistics, Open311 listings."""

from collections import defaultdict
from collections.abc import Iterator
from statistics import median
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from portal.line.models import Resident

from .models import Priority, ReportPhoto, RoadReport, Status, TimelineEntry

SORTS = {
    "new": ("-created_at", "-id"),
    "old": ("created_at", "id"),
    "priority": ("-priority", "-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "status": ("status", "-created_at", "-id"),
}


def queue_base() -> QuerySet[RoadReport]:
    """The queue's rows with what a row shows (no per-row queries). Photo counts are added
    for the shown page only (``with_photo_counts``): aggregating before LIMIT over 100k
    rows would dominate the page's time."""
    return RoadReport.objects.select_related("category", "team", "assignee", "area")


def with_photo_counts(rows: list[RoadReport]) -> list[RoadReport]:
    """Set ``photo_count`` on each row with one query for the whole page."""
    counts = dict(
        ReportPhoto.objects.filter(report_id__in=[r.pk for r in rows], kind=ReportPhoto.Kind.RESIDENT)
        .values_list("report_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row.photo_count = counts.get(row.pk, 0)  # type: ignore[attr-defined]  # for the template
    return rows


EXPORT_COLUMNS = (
    "reference", "created_at", "category__name", "status", "priority", "is_dangerous", "team__name",
    "assignee__full_name", "assignee__email", "area__name", "latitude", "longitude", "address_text", "comment",
    "photo_count", "possible_duplicate_of_id",
)  # fmt: skip


def export_rows(qs: QuerySet[RoadReport], *, chunk: int = 2000) -> Iterator[tuple[Any, ...]]:
    """The CSV export's raw values (``EXPORT_COLUMNS``) of ``qs``, in its order, as tuples
    (not model instances: a row costs microseconds, bench/export.py). Read in chunks by
    keyset (rows after the last one sent, by the ordering's columns, which end with the id):
    each chunk is a short indexed query, so the first rows go out at once and no cursor or
    transaction stays open while a download streams (a server-side cursor outside a
    transaction is materialised whole before its first row). Residents' photos are counted
    by a correlated subquery on the photos' report index, not a GROUP BY over the join."""
    ordering = [str(o) for o in qs.query.order_by] or ["-created_at", "-id"]
    if ordering[-1].lstrip("-") not in ("id", "pk"):
        ordering.append("id")
    keys = [o.lstrip("-") for o in ordering]
    photos = (
        ReportPhoto.objects.filter(report=OuterRef("pk"), kind=ReportPhoto.Kind.RESIDENT)
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = qs.annotate(photo_count=Coalesce(Subquery(photos), 0)).order_by(*ordering)
    width = len(EXPORT_COLUMNS)
    last: list[Any] | None = None
    while True:
        page = rows if last is None else rows.filter(_after(ordering, last))
        batch = list(page.values_list(*EXPORT_COLUMNS, *keys)[:chunk])
        for row in batch:
            yield row[:width]
        if len(batch) < chunk:
            return
        last = list(batch[-1][width:])


def _after(ordering: list[str], values: list[Any]) -> Q:
    """Rows that come after ``values`` in ``ordering`` (lexicographic, each column in its
    direction), plus the first column's bound on its own so that an index on it is used."""
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    after = Q()
    for k, key in enumerate(ordering):
        term = Q(**{f"{key.lstrip('-')}__{'lt' if key.startswith('-') else 'gt'}": values[k]})
        for i in range(k):
            term &= Q(**{ordering[i].lstrip("-"): values[i]})
        after |= term
    return bound & after


def queue_split_urgent(qs: QuerySet[RoadReport]) -> tuple[QuerySet[RoadReport], QuerySet[RoadReport]]:
    """(open 緊急 reports, newest first; the others in ``qs``'s order): the queue shows the
    first above the second, so a report a resident called dangerous is never buried."""
    from .services import OPEN_STATUSES

    urgent = Q(priority=Priority.URGENT, status__in=OPEN_STATUSES)
    return qs.filter(urgent).order_by("-created_at", "-id"), qs.exclude(urgent)


def open311_visible(report: RoadReport) -> bool:
    return not report.is_private and (report.is_published or report.status != Status.RECEIVED)


def queue_sorted(qs: QuerySet[RoadReport], sort: str) -> QuerySet[RoadReport]:
    return qs.order_by(*SORTS.get(sort, SORTS["new"]))


def report_detail(*, pk: int) -> RoadReport:
    return (
        RoadReport.objects.select_related(
            "category", "team", "assignee", "area", "resident", "possible_duplicate_of", "duplicate_of"
        )
        .prefetch_related(
            Prefetch("photos", queryset=ReportPhoto.objects.order_by("kind", "id")),
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor", "photo")),
            "notes__author",
            "merged_reports",
        )
        .get(pk=pk)
    )


def reports_of_resident(*, resident: Resident) -> QuerySet[RoadReport]:
    return RoadReport.objects.filter(resident=resident).select_related("category").order_by("-created_at", "-id")


def report_for_resident(*, resident: Resident, reference: str = "", report_id: int | None = None) -> RoadReport | None:
    qs = RoadReport.objects.filter(resident=resident).select_related("category")
    if reference:
        return qs.filter(reference=reference).first()
    if report_id:
        return qs.filter(pk=report_id).first()
    return None


def statistics(*, qs: QuerySet[RoadReport] | None = None) -> dict[str, Any]:
    """Counts by category, area, status and month, and the median days 受付 → 完了."""
    qs = qs if qs is not None else RoadReport.objects.all()
    by_category = list(qs.values("category__name").annotate(n=Count("id")).order_by("-n"))
    by_area = list(qs.values("area__name").annotate(n=Count("id")).order_by("-n"))
    by_status_raw = dict(qs.values_list("status").annotate(n=Count("id")))
    by_status = [(Status(s).label, by_status_raw.get(s, 0)) for s in Status.values]
    by_month = list(qs.annotate(month=TruncMonth("created_at")).values("month").annotate(n=Count("id")).order_by("month"))
    durations = [
        (closed - created).total_seconds() / 86400
        for created, closed in qs.filter(status=Status.DONE, closed_at__isnull=False).values_list("created_at", "closed_at")
        if closed is not None
    ]
    per_category: dict[str, list[float]] = defaultdict(list)
    for name, created, closed in qs.filter(status=Status.DONE, closed_at__isnull=False).values_list(
        "category__name", "created_at", "closed_at"
    ):
        if closed is not None:
            per_category[name].append((closed - created).total_seconds() / 86400)
    return {
        "total": qs.count(),
        "by_category": by_category,
        "by_area": by_area,
        "by_status": by_status,
        "by_month": by_month,
        "median_days_to_done": round(median(durations), 1) if durations else None,
        "done_count": len(durations),
        "median_by_category": sorted((name, round(median(v), 1), len(v)) for name, v in per_category.items()),
    }


def open311_requests(*, params: dict[str, Any]) -> QuerySet[RoadReport]:
    """Reports the public may see: not private, and triaged (past 受付) or published by staff."""
    qs = (
        RoadReport.objects.filter(is_private=False)
        .filter(Q(is_published=True) | ~Q(status=Status.RECEIVED))
        .select_related("category", "team")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ReportPhoto.objects.filter(publishable=True, hidden=False, state=ReportPhoto.State.READY).order_by(
                    "kind", "id"
                ),
                to_attr="public_photos",
            ),
            Prefetch(
                "timeline",
                queryset=TimelineEntry.objects.filter(kind=TimelineEntry.Kind.STATUS).order_by("-created_at", "-id"),
                to_attr="status_entries",
            ),
        )
    )
    return qs.order_by("-created_at", "-id")
