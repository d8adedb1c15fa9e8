"""Residents by segment: the LINE layer owns how 受信設定 is stored (an age band, an area,
interests as a bit set in ``Resident.interest_bits``), so features select residents through
these functions and never see the encoding.

A segment is OR inside one dimension and AND across dimensions; an empty dimension sets no
condition. Only residents who can be reached are selected: friends (not blocked) who have
not asked for 配信停止.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet, Sum

from .models import Interest, Resident, ResidentCount

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Cell:
    """Reachable residents sharing one combination of age band × area × interests."""

    age_band: str
    area_id: int | None
    interest_bits: int
    residents: int


def reachable() -> QuerySet[Resident]:
    """Residents a segment delivery may reach: friends, not 配信停止."""
    return Resident.objects.filter(status=Resident.Status.ACTIVE, segment_opt_out=False)


def interest_mask(*, interest_ids: Iterable[int]) -> int:
    """The bits of ``interest_ids`` (unknown ids set none)."""
    mask = 0
    for bit in Interest.objects.filter(pk__in=list(interest_ids)).values_list("bit", flat=True):
        mask |= 1 << bit
    return mask


def cell_has_interest(interest_bits: int, bit: int) -> bool:
    """Whether a cell's (or resident's) ``interest_bits`` holds the interest with ``bit``."""
    return bool(interest_bits >> bit & 1)


def matching(
    qs: QuerySet[M],
    *,
    age_bands: Iterable[str] = (),
    area_ids: Iterable[int] = (),
    interest_ids: Iterable[int] = (),
    area_field: str = "area_id",
) -> QuerySet[M]:
    """``qs`` narrowed to the segment: residents, or cells of them (any model with
    ``age_band``, ``area_field`` and ``interest_bits`` columns, e.g. the reach cells)."""
    age_bands, area_ids, interest_ids = list(age_bands), list(area_ids), list(interest_ids)
    if age_bands:
        qs = qs.filter(age_band__in=age_bands)
    if area_ids:
        qs = qs.filter(**{f"{area_field}__in": area_ids})
    if interest_ids:
        mask = interest_mask(interest_ids=interest_ids)
        qs = qs.alias(_interests=F("interest_bits").bitand(mask)).filter(~Q(_interests=0))
    return qs


def in_segment(
    *, age_bands: Iterable[str] = (), area_ids: Iterable[int] = (), interest_ids: Iterable[int] = ()
) -> QuerySet[Resident]:
    """Reachable residents in the segment (all of them when every dimension is empty)."""
    return matching(reachable(), age_bands=age_bands, area_ids=area_ids, interest_ids=interest_ids)


def cells() -> Iterator[Cell]:
    """Reachable residents grouped by age band × area × interests (one GROUP BY): what a
    read model of the audience (``broadcasts.ReachCell``) is rebuilt from."""
    rows = reachable().values("age_band", "area_id", "interest_bits").annotate(n=Count("id")).order_by()
    for row in rows.iterator(chunk_size=5000):
        yield Cell(age_band=row["age_band"], area_id=row["area_id"], interest_bits=row["interest_bits"], residents=row["n"])


def count_in_segment(*, age_bands: Iterable[str] = (), area_ids: Iterable[int] = (), interest_ids: Iterable[int] = ()) -> int:
    """The exact number of reachable residents in the segment, now: a sum over the counts
    the database keeps per cell (``ResidentCount``, a few thousand rows whatever the number
    of residents) instead of a scan of the residents. Same transaction visibility as a
    count of ``in_segment(...)``. Only for the 50-recipient check: never shown."""
    rows = matching(ResidentCount.objects.all(), age_bands=age_bands, area_ids=area_ids, interest_ids=interest_ids)
    return int(rows.aggregate(n=Sum("residents"))["n"] or 0)


def counts_compact() -> int:
    """Beat job: sum the count rows into one per cell (each resident write adds signed rows:
    ``ResidentCount``); returns how many rows are left. Readers see the counts before or
    after, never in between (one statement on PostgreSQL; on SQLite one transaction under
    its write lock)."""
    table = ResidentCount._meta.db_table
    columns = "age_band, area_id, interest_bits"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])  # one compaction at a time
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING {columns}, residents) "  # noqa: S608 - names from the model
                f"INSERT INTO {table} ({columns}, residents) "
                f"SELECT {columns}, sum(residents) FROM gone GROUP BY {columns} HAVING sum(residents) <> 0"
            )
        else:
            cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608
            (last,) = cursor.fetchone()
            if last is None:
                return 0
            cursor.execute(
                f"INSERT INTO {table} ({columns}, residents) SELECT {columns}, sum(residents) FROM {table} "  # noqa: S608
                f"WHERE id <= %s GROUP BY {columns} HAVING sum(residents) <> 0",
                [last],
            )
            cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last])  # noqa: S608
    return ResidentCount.objects.count()
