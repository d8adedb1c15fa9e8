"""Retention of residents' personal data: the registry of every store, and the audited purge.

Each app declares its stores in a module its AppConfig names (``retention = ".retention.STORES"``,
portal/contributions.py)::

    STORES = (
        retention.Store(
            key="roads.reports",
            label=_("道路通報"),
            holds=_("住民の LINE ID、住所・目印、コメント、写真"),
            action=_("完了から期間経過後、住民との紐付け・住所・コメント・写真を削除"),
            period_days=lambda: settings.RETENTION_ROAD_REPORT_DAYS,
            purge=services.reports_purge_personal_data,  # (*, cutoff: datetime) -> int or dict of counts
        ),
    )

``purge_all()`` (the beat job ``portal.purge_personal_data``) runs every store's purge with
its own cut-off and writes one audit entry per store with the counts. A purge must be
idempotent and set-based (UPDATE/DELETE … WHERE …, in batches), never one row at a time.
The admins' retention page and the README table list the same registry.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .labels import Labels

logger = logging.getLogger(__name__)

AUDIT_LABELS = Labels()
PURGED = AUDIT_LABELS.add("retention.purged", _("保存期間経過データの削除"))
BATCH = 2000


@dataclass(frozen=True)
class Store:
    key: str
    label: Any
    holds: Any
    action: Any
    period_days: Callable[[], int]
    purge: Callable[..., int | dict[str, int]]  # purge(cutoff=…)


_STORES: dict[str, Store] = {}


def register(store: Store) -> None:
    _STORES[store.key] = store


def stores() -> list[Store]:
    return [_STORES[key] for key in sorted(_STORES)]


def cutoff(store: Store, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=store.period_days())


def coarse_count(n: int) -> int | str:
    """A purge count as the audit log keeps it: 0, 「1〜49」, or rounded down to tens from
    50. Every count here is of residents' records, and audit entries are read by staff: no
    entry may carry an exact small count of residents (broadcasts/PRIVACY.md). Each run's
    rows are disjoint from every other run's, so the rounding is not averaged away."""
    if n <= 0:
        return 0
    if n < 50:
        return "1〜49"
    return n // 10 * 10


def purge_store(store: Store, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Run one store's purge and audit its counts, coarsened (also when nothing was due).
    Returns the exact counts to the caller (the beat task), which shows them to nobody."""
    from accounts.services import audit_record

    limit = cutoff(store, now=now)
    result = store.purge(cutoff=limit)
    counts = result if isinstance(result, dict) else {"rows": int(result)}
    audit_record(
        action=PURGED,
        target_type="retention",
        target_id=store.key,
        target_repr=str(store.label),
        detail={
            "cutoff": limit.isoformat(timespec="seconds"),
            "period_days": store.period_days(),
            **{name: coarse_count(value) for name, value in counts.items()},
        },
    )
    return counts


def purge_all(*, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Every store's purge. One store failing does not keep the others' data: each runs in
    turn, and the failures are raised together at the end (the job is marked failed)."""
    results: dict[str, dict[str, int]] = {}
    failed: list[str] = []
    for store in stores():
        try:
            with transaction.atomic():
                results[store.key] = purge_store(store, now=now)
        except Exception:
            logger.exception("retention purge of %s failed", store.key)
            failed.append(store.key)
    if failed:
        raise RetentionPurgeFailed(failed)
    return results


def in_batches(qs: QuerySet, apply: Callable[[QuerySet], int]) -> int:
    """Apply ``apply`` (an UPDATE or DELETE on a pk set) to ``qs`` in batches of primary
    keys until nothing is left; returns the rows touched. ``qs`` must stop matching a row
    once it is processed (that is what makes the loop end and the purge idempotent)."""
    total = 0
    model = qs.model
    while True:
        pks = list(qs.order_by().values_list("pk", flat=True)[:BATCH])
        if not pks:
            return total
        touched = apply(model._default_manager.filter(pk__in=pks))
        total += touched
        if touched == 0:
            return total  # nothing changed: stop rather than loop on the same batch


def delete(qs: QuerySet) -> int:
    """For ``in_batches``: delete the batch; counts the rows deleted, what cascades from them included."""
    return qs.delete()[0]


def delete_older(model: type[models.Model], field: str, *, inclusive: bool = False) -> Callable[..., dict[str, int]]:
    """A purge that deletes ``model``'s rows whose ``field`` is before the cut-off (at or
    before it, ``inclusive``), in batches: ``{"deleted": n}``."""
    lookup = f"{field}__{'lte' if inclusive else 'lt'}"

    def purge(cutoff: dt.datetime) -> dict[str, int]:
        return {"deleted": in_batches(model._default_manager.filter(**{lookup: cutoff}), delete)}

    return purge


class RetentionPurgeFailed(Exception):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"retention purge failed for: {', '.join(keys)}")
        self.keys = keys
