"""Reads of the LINE layer: privacy-safe counts and the audience breakdowns."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .models import Area, AreaBoundary, Interest, Resident

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


def audience_summary() -> dict[str, Any]:
    """Totals and breakdowns by area, age band and interest of the audience page: from the
    differentially private release (broadcasts/privacy.py, registered in ``audience.py``),
    never exact counts."""
    from .audience import figures

    return figures().summary()


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


def areas_with_boundary_flag() -> QuerySet[Area]:
    """Areas with ``has_boundary`` (without loading the polygons)."""
    return Area.objects.annotate(has_boundary=Exists(AreaBoundary.objects.filter(area_id=OuterRef("pk"))))


def area_at(*, latitude: float, longitude: float, tolerance_m: float) -> Area | None:
    """The active area whose boundary holds the point, else the one whose boundary is nearest
    within ``tolerance_m`` metres (a position shared from a river bank or the area's edge);
    ``None`` when no boundary is that near (staff then set the area themselves)."""
    from portal import geo

    boundaries = AreaBoundary.objects.filter(area__is_active=True).values_list("area_id", "geometry")
    found = geo.locate(latitude=latitude, longitude=longitude, boundaries=boundaries, tolerance_m=tolerance_m)
    return Area.objects.filter(pk=found[0]).first() if found else None


def area_boundaries_geojson() -> dict[str, Any]:
    """The active areas' boundaries and names as one GeoJSON FeatureCollection, simplified
    for drawing (the maps' base layer when the city has no tile server)."""
    from portal import geo

    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "code": code},
            "geometry": geo.simplified(geometry),
        }
        for name, code, geometry in AreaBoundary.objects.filter(area__is_active=True)
        .order_by("area__order", "area_id")
        .values_list("area__name", "area__code", "geometry")
    ]
    return {"type": "FeatureCollection", "features": features}


def dimensions_overview() -> list[dict[str, Any]]:
    """The dimensions page's rows: each dimension in 受信設定's order with its options as
    staff read them (built-in ones: where their options are edited). Two queries."""
    from .dimensions import dimension_rows
    from .models import Dimension, DimensionOption

    rows = dimension_rows()
    labels: dict[int, list[str]] = {}
    for dim_id, label, active in DimensionOption.objects.filter(dimension_id__in=[d.pk for d in rows]).values_list(
        "dimension_id", "label", "is_active"
    ):
        labels.setdefault(dim_id, []).append(label if active else _("{label}（無効）").format(label=label))
    builtin_note = {
        Dimension.Builtin.AGE: _("LINEの年代区分（固定）"),
        Dimension.Builtin.AREA: _("「LINE設定」の地域"),
        Dimension.Builtin.INTEREST: _("「LINE設定」の関心分野"),
    }
    out = []
    for position, d in enumerate(rows):
        out.append(
            {
                "dimension": d,
                "options": "、".join(labels.get(d.pk, [])) if not d.builtin else builtin_note[Dimension.Builtin(d.builtin)],
                "first": position == 0,
                "last": position == len(rows) - 1,
            }
        )
    return out
