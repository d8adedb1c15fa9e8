"""Reads of the LINE layer: privacy-safe counts and the audience breakdowns."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .models import AgeBand, Area, Interest, Resident

MIN_SHOWN = 50


def privacy_count(n: int | None) -> str:
    """A count of residents as shown anywhere: below 50 never a number (「50人未満」)."""
    n = int(n or 0)
    if n < MIN_SHOWN:
        return _("50人未満")
    return _("{count}人").format(count=number_format(n, force_grouping=True))


def active_residents() -> QuerySet[Resident]:
    return Resident.objects.filter(status=Resident.Status.ACTIVE)


def friends_total() -> int:
    return active_residents().count()


@dataclass
class Row:
    label: str
    count: int
    shown: str


def _rows(pairs: list[tuple[str, int]]) -> list[Row]:
    """Rows of one breakdown. Below 50 is 「50人未満」; when exactly one row is hidden, the
    next smallest is hidden too, so the hidden one cannot be worked out from the total."""
    rows = [Row(label, count, privacy_count(count)) for label, count in pairs]
    hidden = [r for r in rows if r.count < MIN_SHOWN]
    if len(hidden) == 1:
        visible = sorted((r for r in rows if r.count >= MIN_SHOWN), key=lambda r: r.count)
        if visible:
            visible[0].shown = _("非表示")
    return rows


def audience_summary() -> dict:
    """Totals and breakdowns by area, age band and interest (active friends)."""
    base = Resident.objects.all()
    totals = base.aggregate(
        active=Count("pk", filter=Q(status=Resident.Status.ACTIVE)),
        blocked=Count("pk", filter=Q(status=Resident.Status.BLOCKED)),
        opted_out=Count("pk", filter=Q(status=Resident.Status.ACTIVE, segment_opt_out=True)),
        registered=Count("pk", filter=Q(status=Resident.Status.ACTIVE, consented_at__isnull=False)),
    )
    active = active_residents()
    by_area = dict(active.values_list("area").annotate(n=Count("pk")).values_list("area", "n"))
    area_pairs = [(a.name, by_area.get(a.pk, 0)) for a in Area.objects.all()]
    area_pairs.append((_("未登録"), by_area.get(None, 0)))
    by_age = dict(active.values_list("age_band").annotate(n=Count("pk")).values_list("age_band", "n"))
    age_pairs = [(str(label), by_age.get(value, 0)) for value, label in AgeBand.choices]
    age_pairs.append((_("未登録"), by_age.get("", 0)))
    interests = list(Interest.objects.all())
    interest_pairs: list[tuple[str, int]] = []
    if interests:
        annotated = active.alias(**{f"b{i.pk}": F("interest_bits").bitand(i.mask) for i in interests})
        counts = annotated.aggregate(**{f"i{i.pk}": Count("pk", filter=Q(**{f"b{i.pk}__gt": 0})) for i in interests})
        interest_pairs = [(i.name, counts[f"i{i.pk}"]) for i in interests]
    return {
        "active": privacy_count(totals["active"]),
        "registered": privacy_count(totals["registered"]),
        "opted_out": privacy_count(totals["opted_out"]),
        "blocked": privacy_count(totals["blocked"]),
        "by_area": _rows(area_pairs),
        "by_age": _rows(age_pairs),
        "by_interest": _rows(interest_pairs),
    }


def resident_lookup(*, line_user_id: str = "", display_name: str = "", limit: int = 20) -> list[Resident]:
    """Residents matching an exact LINE user ID, or a display name (partial match)."""
    qs = Resident.objects.select_related("area").order_by("pk")
    if line_user_id:
        return list(qs.filter(line_user_id=line_user_id.strip())[:limit])
    if display_name:
        return list(qs.filter(display_name__icontains=display_name.strip())[:limit])
    return []


def interest_names(resident: Resident) -> list[str]:
    return [i.name for i in Interest.objects.all() if resident.interest_bits & i.mask]
