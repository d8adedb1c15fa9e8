"""Residents by segment: the LINE layer owns how 受信設定 is stored (an age band, an area,
interests as a bit set in ``Resident.interest_bits``), so features select residents through
these functions and never see the encoding.

A segment is OR inside one dimension and AND across dimensions; an empty dimension sets no
condition. Only residents who can be reached are selected: friends (not blocked) who have
not asked for 配信停止.

Features that follow a resident's segment (rich menus: the menu of their area) register a
listener (``register_segment_listener``); the layer calls it after the commit of any write
that may move a resident between segments (``segment_changed``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, Exists, F, Model, OuterRef, Q, QuerySet, Sum, Value, When

from .models import AnswerCount, AnswerCountBase, DimensionOption, Interest, Resident, ResidentAnswer, ResidentCount

M = TypeVar("M", bound=Model)


class SegmentListener(Protocol):
    def __call__(self, resident_id: int, *, refollowed: bool) -> None: ...


_segment_listeners: list[SegmentListener] = []


def register_segment_listener(listener: SegmentListener) -> None:
    """``listener(resident_id, refollowed=...)`` is called after the commit of every change
    that may move a resident between segments: 年代 or 地域 answered differently in 受信設定,
    配信停止 / 配信再開 (``reachable()`` changes), a re-follow (``refollowed=True``: what LINE
    kept for the resident while they were blocked is not known). A block calls nothing. From
    the feature's ``AppConfig.ready()`` (``PortalAppConfig.segment_listeners``); once each."""
    if listener not in _segment_listeners:
        _segment_listeners.append(listener)


def segment_changed(*, resident: Resident, refollowed: bool = False) -> None:
    """The layer's writes call this inside their transaction; listeners run on its commit
    (not at all if it rolls back), each on its own: one that raises is logged and does not
    stop the others or the webhook."""
    resident_id = resident.pk
    for listener in list(_segment_listeners):

        def call(listener: SegmentListener = listener) -> None:
            listener(resident_id, refollowed=refollowed)

        transaction.on_commit(call, robust=True)


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
    dimension_options: Iterable[Iterable[int]] = (),
) -> QuerySet[M]:
    """``qs`` narrowed to the segment: residents, or cells of them (any model with
    ``age_band``, ``area_field`` and ``interest_bits`` columns, e.g. the reach cells).
    ``dimension_options``: for each admin-defined dimension, the option ids of which a
    resident must have chosen at least one (residents only: cells do not hold answers)."""
    age_bands, area_ids, interest_ids = list(age_bands), list(area_ids), list(interest_ids)
    for option_ids in dimension_options:
        ids = sorted({int(i) for i in option_ids})
        if ids:
            # One semi-join per dimension on the (option, resident) index: OR inside, AND across.
            qs = qs.filter(Exists(ResidentAnswer.objects.filter(option_id__in=ids, resident_id=OuterRef("pk"))))
    if age_bands:
        qs = qs.filter(age_band__in=age_bands)
    if area_ids:
        qs = qs.filter(**{f"{area_field}__in": area_ids})
    if interest_ids:
        mask = interest_mask(interest_ids=interest_ids)
        qs = qs.alias(_interests=F("interest_bits").bitand(mask)).filter(~Q(_interests=0))
    return qs


def in_segment(
    *,
    age_bands: Iterable[str] = (),
    area_ids: Iterable[int] = (),
    interest_ids: Iterable[int] = (),
    dimension_options: Iterable[Iterable[int]] = (),
) -> QuerySet[Resident]:
    """Reachable residents in the segment (all of them when every dimension is empty)."""
    return matching(
        reachable(), age_bands=age_bands, area_ids=area_ids, interest_ids=interest_ids, dimension_options=dimension_options
    )


def cells() -> Iterator[Cell]:
    """Reachable residents grouped by age band × area × interests (one GROUP BY): what a
    read model of the audience (``broadcasts.ReachCell``) is rebuilt from."""
    rows = reachable().values("age_band", "area_id", "interest_bits").annotate(n=Count("id")).order_by()
    for row in rows.iterator(chunk_size=5000):
        yield Cell(age_band=row["age_band"], area_id=row["area_id"], interest_bits=row["interest_bits"], residents=row["n"])


def count_in_segment(
    *,
    age_bands: Iterable[str] = (),
    area_ids: Iterable[int] = (),
    interest_ids: Iterable[int] = (),
    dimension_options: Iterable[Iterable[int]] = (),
) -> int:
    """The exact number of reachable residents in the segment, now: a sum over the counts
    the database keeps per cell instead of a scan of the residents — ``ResidentCount`` (a
    few thousand rows whatever the number of residents), or with admin-defined dimensions
    ``AnswerCount`` (cells of answer bits too). Same transaction visibility as a count of
    ``in_segment(...)``, which it equals. A dimension naming an option without a bit (all
    63 were taken when it was added) is counted on the residents instead. Only for the
    50-recipient check: never shown."""
    age_bands, area_ids = [str(b) for b in age_bands], [int(a) for a in area_ids]
    wanted = [sorted(ids) for ids in ({int(i) for i in option_ids} for option_ids in dimension_options) if ids]
    if not wanted:
        rows = matching(ResidentCount.objects.all(), age_bands=age_bands, area_ids=area_ids, interest_ids=interest_ids)
        return int(rows.aggregate(n=Sum("residents"))["n"] or 0)
    interest_ids = list(interest_ids)
    interests = interest_mask(interest_ids=interest_ids) if interest_ids else None
    cells = _CellFilter(age_bands=age_bands, area_ids=area_ids, interests=interests)
    # One statement, so one snapshot: which compacted generation is current, whether an
    # option has no bit, the options' bits, and the rows added since that generation.
    masks = [_options_mask(ids) for ids in wanted]
    where, params = cells.sql(masks)
    table, base_table, options = AnswerCount._meta.db_table, AnswerCountBase._meta.db_table, DimensionOption._meta.db_table
    every = sorted(set().union(*wanted))
    sql = (
        f"SELECT (SELECT generation FROM {base_table} WHERE id = 1), (SELECT cells FROM {base_table} WHERE id = 1), "  # noqa: S608 - names from the models
        f"(SELECT count(*) FROM {options} WHERE id IN ({', '.join(['%s'] * len(every))}) AND bit IS NULL), "
        + "".join(f"({mask}), " for mask, _p in masks)
        + f"(SELECT COALESCE(SUM(residents), 0) FROM {table} WHERE generation = 0{where})"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*every, *(p for _m, mp in masks for p in mp), *params])
        generation, size, without_bit, *bits, added = cursor.fetchone()
    if without_bit:
        return in_segment(age_bands=age_bands, area_ids=area_ids, interest_ids=interest_ids, dimension_options=wanted).count()
    if generation is None:  # never compacted: every row is one added since
        return int(added)
    base = _answer_base(generation=int(generation), size=int(size))
    if base is None:  # replaced by a newer compaction meanwhile: the sum of every row, now
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(SUM(residents), 0) FROM {table} WHERE 1 = 1{where}", params)  # noqa: S608
            (total,) = cursor.fetchone()
        return int(total)
    return int(added) + base.count(cells, [int(b) for b in bits])


@dataclass(frozen=True)
class _CellFilter:
    age_bands: list[str]
    area_ids: list[int]
    interests: int | None  # the interests' mask; None: no condition

    def sql(self, masks: list[tuple[str, list[int]]]) -> tuple[str, list[Any]]:
        where, params = "", list[Any]()
        if self.age_bands:
            where += f" AND age_band IN ({', '.join(['%s'] * len(self.age_bands))})"
            params += self.age_bands
        if self.area_ids:
            where += f" AND area_id IN ({', '.join(['%s'] * len(self.area_ids))})"
            params += self.area_ids
        if self.interests is not None:
            where += " AND (interest_bits & %s) <> 0"
            params.append(self.interests)
        for mask, mask_params in masks:
            where += f" AND (answer_bits & ({mask})) <> 0"
            params += mask_params
        return where, params


def _options_mask(option_ids: list[int]) -> tuple[str, list[int]]:
    """The bits of ``option_ids`` (a subquery; options without a bit or gone add none)."""
    table = DimensionOption._meta.db_table
    placeholders = ", ".join(["%s"] * len(option_ids))
    sql = (
        f"SELECT CAST(COALESCE(SUM(CAST(1 AS BIGINT) << bit), 0) AS BIGINT) FROM {table} "  # noqa: S608 - name from the model
        f"WHERE id IN ({placeholders}) AND bit IS NOT NULL"
    )
    return sql, option_ids


@dataclass(frozen=True)
class _AnswerBase:
    """One generation of compacted ``AnswerCount`` rows, as arrays (it never changes: the
    next compaction writes a new generation)."""

    generation: int
    age_codes: dict[str, int]
    age: np.ndarray
    area: np.ndarray  # -1: no area
    interests: np.ndarray
    answers: np.ndarray
    residents: np.ndarray

    def count(self, cells: _CellFilter, bits: list[int]) -> int:
        chosen = np.ones(len(self.residents), dtype=bool)
        if cells.age_bands:
            chosen &= np.isin(self.age, [self.age_codes[b] for b in cells.age_bands if b in self.age_codes])
        if cells.area_ids:
            chosen &= np.isin(self.area, np.array(cells.area_ids, dtype=np.int64))
        if cells.interests is not None:
            chosen &= (self.interests & np.int64(cells.interests)) != 0
        for mask in bits:
            chosen &= (self.answers & np.int64(mask)) != 0
        return int(self.residents[chosen].sum())


_answer_bases: dict[str, _AnswerBase] = {}  # by database alias: the newest generation loaded


def _answer_base(*, generation: int, size: int) -> _AnswerBase | None:
    """The compacted rows of ``generation`` (loaded once per process and generation); None
    when they are no longer all there (a newer compaction replaced them since)."""
    alias = connection.alias
    base = _answer_bases.get(alias)
    if base is not None and base.generation == generation:
        return base
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT age_band, area_id, interest_bits, answer_bits, residents FROM {AnswerCount._meta.db_table} "  # noqa: S608 - name from the model
            "WHERE generation = %s",
            [generation],
        )
        rows = cursor.fetchall()
    if len(rows) != size:
        return None
    age_codes: dict[str, int] = {}
    for row in rows:
        age_codes.setdefault(row[0], len(age_codes))
    base = _AnswerBase(
        generation=generation,
        age_codes=age_codes,
        age=np.fromiter((age_codes[r[0]] for r in rows), dtype=np.int16, count=len(rows)),
        area=np.fromiter((-1 if r[1] is None else r[1] for r in rows), dtype=np.int64, count=len(rows)),
        interests=np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows)),
        answers=np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows)),
        residents=np.fromiter((r[4] for r in rows), dtype=np.int64, count=len(rows)),
    )
    _answer_bases[alias] = base
    return base


def counts_compact() -> int:
    """Beat job: sum the count rows into one per cell (each resident write adds signed rows:
    ``ResidentCount``, ``AnswerCount``); returns how many rows are left. Readers see the
    counts before or after, never in between (one statement per table on PostgreSQL; on
    SQLite one transaction under its write lock). ``AnswerCount``'s rows are compacted only
    once changes added ``LINE_ANSWER_COUNTS_COMPACT_ROWS`` of them, into a new generation
    (``AnswerCountBase``): each process loads a generation once, so a count rarely pays the
    load, and the rows since are summed in SQL at every count."""
    left = _compact(ResidentCount._meta.db_table, "age_band, area_id, interest_bits")
    return left + _compact_answers()


def _compact(table: str, columns: str) -> int:
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
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        (left,) = cursor.fetchone()
    return int(left)


def _compact_answers() -> int:
    table, base = AnswerCount._meta.db_table, AnswerCountBase._meta.db_table
    columns = "age_band, area_id, interest_bits, answer_bits"
    # A random generation: never one a process may have loaded before (a flushed database
    # starts again without a base).
    generation = secrets.randbits(62) + 1
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])  # one compaction at a time
        cursor.execute(f"SELECT max(id), count(*) FROM {table} WHERE generation = 0")  # noqa: S608
        (last, added) = cursor.fetchone()
        if last is not None and added >= settings.LINE_ANSWER_COUNTS_COMPACT_ROWS:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {table} RETURNING {columns}, residents), "  # noqa: S608 - names from the models
                    f"made AS (INSERT INTO {table} ({columns}, residents, generation) "
                    f"SELECT {columns}, sum(residents), %s FROM gone GROUP BY {columns} HAVING sum(residents) <> 0 RETURNING 1) "
                    f"INSERT INTO {base} (id, generation, cells) SELECT 1, %s, count(*) FROM made "
                    "ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation, cells = EXCLUDED.cells",
                    [generation, generation],
                )
            else:
                cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608
                (last,) = cursor.fetchone()
                cursor.execute(
                    f"INSERT INTO {table} ({columns}, residents, generation) SELECT {columns}, sum(residents), %s "  # noqa: S608
                    f"FROM {table} WHERE id <= %s GROUP BY {columns} HAVING sum(residents) <> 0",
                    [generation, last],
                )
                cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last])  # noqa: S608
                cursor.execute(f"DELETE FROM {base}")  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {base} (id, generation, cells) SELECT 1, %s, count(*) FROM {table}",  # noqa: S608
                    [generation],
                )
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        (left,) = cursor.fetchone()
    return int(left)


def dimension_cells(*, option_ids: Sequence[int], multiple: bool) -> Iterator[tuple[str, int | None, int, int]]:
    """Reachable residents of each age band × area by their answer to one admin-defined
    dimension (one GROUP BY, for the privacy release): ``(age band, area id, answer,
    residents)``. The answer is, for a single-choice dimension, the index of the chosen
    option in ``option_ids``; for a multiple-choice one, the bit pattern of the chosen
    options (bit j: ``option_ids[j]``). Residents who chose none of them are not listed."""
    ids = [int(i) for i in option_ids]
    if not ids:
        return
    answers = ResidentAnswer.objects.filter(
        option_id__in=ids, resident__status=Resident.Status.ACTIVE, resident__segment_opt_out=False
    )
    if not multiple:
        index = {pk: j for j, pk in enumerate(ids)}
        rows = (
            answers.values_list("resident__age_band", "resident__area_id", "option_id")
            .annotate(n=Count("resident_id"))
            .order_by()
        )
        for age_band, area_id, option_id, n in rows.iterator(chunk_size=5000):
            yield age_band, area_id, index[option_id], int(n)
        return
    bit = Case(
        *[When(option_id=pk, then=Value(1 << j)) for j, pk in enumerate(ids)], default=Value(0), output_field=BigIntegerField()
    )
    per_resident = (
        answers.values(r=F("resident_id"), age=F("resident__age_band"), area=F("resident__area_id"))
        .annotate(pattern=Sum(bit))
        .order_by()
    )
    sql, params = per_resident.query.sql_with_params()
    with connection.cursor() as cursor:
        # The residents' patterns grouped in the database (one pass over the answers).
        cursor.execute(
            f"SELECT age, area, pattern, COUNT(*) FROM ({sql}) per_resident GROUP BY age, area, pattern",  # noqa: S608 - the ORM's SQL, parameters bound
            params,
        )
        for age_band, area_id, pattern, n in cursor.fetchall():
            yield age_band, area_id, int(pattern), int(n)
