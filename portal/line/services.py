"""Staff writes of the LINE layer (its settings page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portal.context import AuditContext
from portal.errors import DomainError

from .models import Dimension, DimensionOption, LineSettings, Resident, ResidentAnswer


def line_settings_update(*, blocked_retention_days: int) -> LineSettings:
    settings_row = LineSettings.current()
    settings_row.blocked_retention_days = blocked_retention_days
    settings_row.save()
    return settings_row


# -- segment dimensions (admin pages, 受信設定) -----------------------------------------------


def _audit_dimension(*, ctx: AuditContext, target: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    from accounts.services import audit_record, field_changes

    from .audit import AUDIT_DIMENSION_CHANGED

    changes = field_changes(before, after)
    if before and not changes:
        return
    detail = {"changes": changes, **({} if before else {"created": True})}
    audit_record(action=AUDIT_DIMENSION_CHANGED, ctx=ctx, target=target, detail=detail)


DIMENSION_FIELDS = ("name", "question", "kind", "order", "is_active")
OPTION_FIELDS = ("label", "order", "is_active")


@transaction.atomic
def dimension_save(*, ctx: AuditContext, dimension: Dimension | None, values: dict[str, Any]) -> Dimension:
    """Create or change a dimension (audited as a field diff). A built-in one (年代, 地域,
    関心分野) keeps its kind: its storage decides it."""
    from accounts.services import snapshot

    before = snapshot(Dimension.objects.get(pk=dimension.pk), DIMENSION_FIELDS) if dimension is not None else {}
    row = dimension or Dimension()
    for name in DIMENSION_FIELDS:
        if name in values and not (name == "kind" and row.builtin):
            setattr(row, name, values[name])
    if not (row.name or "").strip():
        raise DomainError(_("名称を入力してください。"), code="name_required")
    if dimension is None and "order" not in values:
        last = Dimension.objects.order_by("-order").values_list("order", flat=True).first()
        row.order = (last or 0) + 10
    row.save()
    _audit_dimension(ctx=ctx, target=row, before=before, after=snapshot(row, DIMENSION_FIELDS))
    return row


@transaction.atomic
def option_save(
    *, ctx: AuditContext, dimension: Dimension, option: DimensionOption | None, values: dict[str, Any]
) -> DimensionOption:
    """Create or change an option of an admin-defined dimension (audited)."""
    from accounts.services import snapshot

    if dimension.builtin:
        raise DomainError(_("年代・地域・関心分野の選択肢は、それぞれの設定で編集します。"), code="builtin_options")
    before = snapshot(DimensionOption.objects.get(pk=option.pk), OPTION_FIELDS) if option is not None else {}
    row = option or DimensionOption(dimension=dimension)
    for name in OPTION_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    row.label = (row.label or "").strip()
    if not row.label:
        raise DomainError(_("選択肢の名前を入力してください。"), code="label_required")
    clash = DimensionOption.objects.filter(dimension=dimension, label=row.label).exclude(pk=row.pk).exists()
    if clash:
        raise DomainError(_("同じ名前の選択肢がすでにあります。"), code="label_taken")
    if option is None and "order" not in values:
        last = DimensionOption.objects.filter(dimension=dimension).order_by("-order").values_list("order", flat=True).first()
        row.order = (last or 0) + 10
    row.save()
    _audit_dimension(ctx=ctx, target=row, before=before, after=snapshot(row, OPTION_FIELDS))
    return row


def _move(rows: list[Any], row: Any, direction: str) -> list[Any]:
    """``rows`` with ``row`` moved one place up or down (renumbered 10, 20, … in order)."""
    index = next(i for i, r in enumerate(rows) if r.pk == row.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    changed = []
    for i, r in enumerate(rows):
        if r.order != (i + 1) * 10:
            r.order = (i + 1) * 10
            changed.append(r)
    return changed


def _reorder(*, ctx: AuditContext, rows: QuerySet[Any], row: Any, direction: str) -> None:
    """Move ``row`` one place among ``rows`` (locked) and audit the new order, if it changed."""
    from accounts.services import audit_record

    from .audit import AUDIT_DIMENSION_CHANGED

    locked = list(rows.select_for_update().order_by("order", "id"))
    before = [r.pk for r in locked]
    changed = _move(locked, row, direction)
    rows.model.objects.bulk_update(changed, ["order"])
    after = [r.pk for r in locked]
    if before != after:
        audit_record(action=AUDIT_DIMENSION_CHANGED, ctx=ctx, target=row, detail={"order": [before, after]})


@transaction.atomic
def dimension_move(*, ctx: AuditContext, dimension: Dimension, direction: str) -> None:
    """Ask ``dimension`` one place earlier (``up``) or later (``down``) in 受信設定."""
    _reorder(ctx=ctx, rows=Dimension.objects.all(), row=dimension, direction=direction)


@transaction.atomic
def option_move(*, ctx: AuditContext, option: DimensionOption, direction: str) -> None:
    _reorder(ctx=ctx, rows=DimensionOption.objects.filter(dimension_id=option.dimension_id), row=option, direction=direction)


@transaction.atomic
def answers_replace(*, resident: Resident, dimension: Dimension, option_ids: Iterable[int]) -> list[int]:
    """A resident's answer to one admin-defined dimension, replacing the previous one (none:
    回答しない). Only active options of that dimension; a single-choice dimension keeps one."""
    ids = list(
        DimensionOption.objects.filter(dimension=dimension, is_active=True, pk__in=list(option_ids))
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
    if not dimension.is_multiple:
        ids = ids[:1]
    ResidentAnswer.objects.filter(resident=resident, dimension=dimension).exclude(option_id__in=ids).delete()
    have = set(ResidentAnswer.objects.filter(resident=resident, dimension=dimension).values_list("option_id", flat=True))
    ResidentAnswer.objects.bulk_create(
        [ResidentAnswer(resident=resident, dimension=dimension, option_id=pk) for pk in ids if pk not in have]
    )
    return ids
