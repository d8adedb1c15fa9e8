"""The one hand-written INSERT the hot chat path shares: ``INSERT … ON CONFLICT … RETURNING``
(PostgreSQL and SQLite ≥ 3.35). It says what ``bulk_create`` cannot in one statement: which
rows a DO NOTHING skipped (the inbox's one-open-conversation rule, a resident another worker
made first), and the id of a row DO UPDATE replaced. Names come from the model's meta,
values are placeholders."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

# SQLite's older builds take at most 999 parameters a statement.
_MAX_PARAMETERS = 900


@lru_cache(maxsize=64)
def _sql(model: type[models.Model], rows: int, conflict: tuple[str, ...], update: bool, returning: tuple[str, ...]) -> str:
    meta, qn = model._meta, connection.ops.quote_name
    fields = _fields(model)

    def column(name: str) -> str:
        field = meta.pk if name == "pk" else meta.get_field(name)
        assert isinstance(field, models.Field) and field.column  # a concrete column
        return field.column

    target = f"({', '.join(qn(column(name)) for name in conflict)})" if conflict else ""
    if update:
        keys = {column(name) for name in conflict}
        action = "DO UPDATE SET " + ", ".join(f"{qn(f.column)} = EXCLUDED.{qn(f.column)}" for f in fields if f.column not in keys)
    else:
        action = "DO NOTHING"
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    columns = ", ".join(qn(column(name)) for name in returning)
    return (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES {values} "  # noqa: S608 - the model's names, placeholders
        f"ON CONFLICT {target} {action} RETURNING {columns}"
    )


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_returning(
    objs: Sequence[M], *, conflict: Sequence[str] = (), update: bool = False, returning: Sequence[str] = ("pk",)
) -> list[tuple[Any, ...]]:
    """Insert ``objs`` (one model) with ``ON CONFLICT [(conflict)] DO NOTHING`` — or, with
    ``update``, ``DO UPDATE`` of every other column — and return the ``returning`` columns
    of the rows written, in statements of at most 900 parameters. Fields are saved as
    ``save()`` would (``pre_save``: auto_now and the like). Rows a DO NOTHING skipped are
    not returned; the caller marks the objects it got back with ``mark_saved``."""
    if not objs:
        return []
    model = type(objs[0])
    fields = _fields(model)
    per_statement = max(1, _MAX_PARAMETERS // len(fields))
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            cursor.execute(
                _sql(model, len(chunk), tuple(conflict), update, tuple(returning)),
                [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in chunk for f in fields],
            )
            found += cursor.fetchall()
    return found


def mark_saved(obj: models.Model, pk: Any) -> None:
    """``obj`` is the row ``pk`` in the database now (as after ``save()``)."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
