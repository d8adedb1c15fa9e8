"""Segment dimensions as data: what residents may declare in 受信設定, as admins defined it.

A dimension is a ``Dimension`` row (name, single or multiple choice, the order it is asked
in, 有効/無効) with its options; residents' answers are ``ResidentAnswer`` rows (one per
chosen option), so adding a dimension or an option needs no migration and no code. 年代,
地域 and 関心分野 are dimensions too (``builtin``): they keep their own storage and
options (``AgeBand``, ``Area``, ``Interest``), and are listed, ordered and switched on and
off with the others.

Features read dimensions through this module (compose, the privacy release, the review
page); how answers are stored and selected stays in the LINE layer (``residents.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import AgeBand, Area, Dimension, DimensionOption, Interest, Resident, ResidentAnswer

# 年代, 地域, 関心分野: created by migration 0003; re-created if a test database was flushed.
BUILTINS: tuple[tuple[str, str, int, str], ...] = (
    (Dimension.Builtin.AGE, "年代", 10, Dimension.Kind.SINGLE),
    (Dimension.Builtin.AREA, "地域", 20, Dimension.Kind.SINGLE),
    (Dimension.Builtin.INTEREST, "関心分野", 30, Dimension.Kind.MULTIPLE),
)


@dataclass(frozen=True)
class Choice:
    """One option as offered: its id (an option's pk; an age band's value, an area's or an
    interest's pk for the built-in dimensions) and its label."""

    id: Any
    label: str


@dataclass(frozen=True)
class DimensionInfo:
    id: int
    name: str
    kind: str
    builtin: str  # "" for an admin-defined dimension
    is_active: bool
    options: tuple[Choice, ...]  # the active options, in order

    @property
    def is_multiple(self) -> bool:
        return self.kind == Dimension.Kind.MULTIPLE

    @property
    def field(self) -> str:
        """The compose form's field name for this dimension's options."""
        return f"dim_{self.id}"


def dimension_rows() -> list[Dimension]:
    """Every dimension, in the order 受信設定 asks them (the built-in three always there)."""
    rows = list(Dimension.objects.all())
    have = {d.builtin for d in rows if d.builtin}
    missing = [b for b in BUILTINS if b[0] not in have]
    if missing:
        for builtin, name, order, kind in missing:
            try:
                with transaction.atomic():
                    Dimension.objects.get_or_create(builtin=builtin, defaults={"name": name, "order": order, "kind": kind})
            except IntegrityError:  # another process created it first
                pass
        rows = list(Dimension.objects.all())
    return rows


def _builtin_choices(builtin: str) -> tuple[Choice, ...]:
    if builtin == Dimension.Builtin.AGE:
        return tuple(Choice(value, str(label)) for value, label in AgeBand.choices)
    if builtin == Dimension.Builtin.AREA:
        return tuple(Choice(pk, name) for pk, name in Area.objects.filter(is_active=True).values_list("pk", "name"))
    return tuple(Choice(pk, name) for pk, name in Interest.objects.filter(is_active=True).values_list("pk", "name"))


def dimension_list(*, active_only: bool = False, builtin_options: bool = True) -> list[DimensionInfo]:
    """The dimensions with their active options (one query for every custom option)."""
    rows = [d for d in dimension_rows() if d.is_active or not active_only]
    custom_ids = [d.pk for d in rows if not d.builtin]
    options: dict[int, list[Choice]] = {pk: [] for pk in custom_ids}
    if custom_ids:
        for dim_id, pk, label in DimensionOption.objects.filter(dimension_id__in=custom_ids, is_active=True).values_list(
            "dimension_id", "pk", "label"
        ):
            options[dim_id].append(Choice(pk, label))
    out = []
    for d in rows:
        if d.builtin:
            choices = _builtin_choices(d.builtin) if builtin_options else ()
        else:
            choices = tuple(options[d.pk])
        out.append(DimensionInfo(id=d.pk, name=d.name, kind=d.kind, builtin=d.builtin, is_active=d.is_active, options=choices))
    return out


def custom_dimensions(*, active_only: bool = True) -> list[DimensionInfo]:
    """The admin-defined dimensions (not 年代, 地域, 関心分野), with their active options:
    what compose offers beyond the built-in three and what the privacy release adds."""
    return [d for d in dimension_list(active_only=active_only, builtin_options=False) if not d.builtin]


def filters_clean(raw: Mapping[Any, Iterable[Any]] | None) -> dict[int, tuple[int, ...]]:
    """``{dimension id: option ids}`` as a segment stores it: only admin-defined dimensions,
    only their own options (retired options stay valid: a stored broadcast keeps meaning
    what it meant), sorted; a dimension with no option chosen sets no condition."""
    if not raw:
        return {}
    wanted: dict[int, set[int]] = {}
    for key, values in raw.items():
        try:
            dim_id = int(key)
            ids = {int(v) for v in values}
        except (TypeError, ValueError):
            continue
        if ids:
            wanted.setdefault(dim_id, set()).update(ids)
    if not wanted:
        return {}
    valid: dict[int, set[int]] = {}
    rows = DimensionOption.objects.filter(dimension_id__in=list(wanted), dimension__builtin="").values_list("dimension_id", "pk")
    for dim_id, pk in rows:
        if pk in wanted[dim_id]:
            valid.setdefault(dim_id, set()).add(pk)
    return {dim_id: tuple(sorted(ids)) for dim_id, ids in sorted(valid.items())}


def filter_labels(filters: Mapping[int, Iterable[int]]) -> list[tuple[str, list[str]]]:
    """``[(dimension name, [option labels])]`` of stored filters, for the review page."""
    if not filters:
        return []
    ids = [int(i) for values in filters.values() for i in values]
    labels = dict(DimensionOption.objects.filter(pk__in=ids).values_list("pk", "label"))
    names = dict(Dimension.objects.filter(pk__in=[int(k) for k in filters]).values_list("pk", "name"))
    return [
        (names.get(int(dim_id), _("（削除された属性）")), [labels[int(i)] for i in values if int(i) in labels])
        for dim_id, values in sorted(filters.items(), key=lambda kv: int(kv[0]))
    ]


def answers_of(resident: Resident) -> dict[int, list[int]]:
    """A resident's answers to the admin-defined dimensions: ``{dimension id: option ids}``."""
    out: dict[int, list[int]] = {}
    for dim_id, option_id in ResidentAnswer.objects.filter(resident=resident).values_list("dimension_id", "option_id"):
        out.setdefault(dim_id, []).append(option_id)
    return out
