"""Area boundaries as GeoJSON (WGS 84 longitude/latitude): parsing and checking an upload,
which boundary holds a point, and how far a point is from one. Shapely does the geometry;
distances are computed in a local metric projection (equirectangular around the point),
accurate to well under a metre at the scale of a city."""

import json
import math
from collections.abc import Iterable
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely import ops
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0
MAX_BOUNDARY_BYTES = 5 * 1024 * 1024


def boundary_parse(raw: str | bytes | dict) -> dict:
    """One (Multi)Polygon geometry from an uploaded GeoJSON document: a geometry, a Feature,
    or a FeatureCollection whose polygons are merged (国土数値情報's administrative areas
    come as a FeatureCollection, one feature per polygon). Raises ValidationError in the
    clerk's words for anything else."""
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_BOUNDARY_BYTES:
            raise ValidationError(_("境界のファイルが大きすぎます（5MBまで）。"))
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ValidationError(_("GeoJSONとして読めません。ファイルの形式を確認してください。")) from exc
    else:
        data = raw
    geometries = list(_geometries(data))
    if not geometries:
        raise ValidationError(_("境界（ポリゴン）が見つかりません。GeoJSONのポリゴンを指定してください。"))
    polygons: list[Polygon] = []
    for geometry in geometries:
        try:
            shp = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, ShapelyError) as exc:
            raise ValidationError(_("境界の座標が正しくありません。")) from exc
        if isinstance(shp, Polygon):
            polygons.append(shp)
        elif isinstance(shp, MultiPolygon):
            polygons.extend(shp.geoms)
        else:
            raise ValidationError(_("境界にはポリゴンを指定してください（点や線は使えません）。"))
    try:
        # NaN or infinite coordinates make no area GEOS can close or merge.
        merged = ops.unary_union([p if p.is_valid else p.buffer(0) for p in polygons])
    except (ValueError, ShapelyError) as exc:
        raise ValidationError(_("境界の座標が正しくありません。")) from exc
    if merged.is_empty or merged.area == 0:
        raise ValidationError(_("境界の面積が0です。"))
    minx, miny, maxx, maxy = merged.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError(_("境界の座標が経度・緯度（世界測地系）の範囲外です。"))
    return dict(mapping(merged))


def _geometries(data: Any) -> Iterable[dict]:
    if not isinstance(data, dict):
        return
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        for feature in features if isinstance(features, list) else []:
            yield from _geometries(feature)
    elif kind == "Feature":
        if isinstance(data.get("geometry"), dict):
            yield data["geometry"]
    elif kind == "GeometryCollection":
        geometries = data.get("geometries")
        for geometry in geometries if isinstance(geometries, list) else []:
            yield from _geometries(geometry)
    elif kind in ("Polygon", "MultiPolygon", "Point", "LineString", "MultiPoint", "MultiLineString"):
        yield data


def _metric(geometry: BaseGeometry, latitude: float) -> BaseGeometry:
    scale = (M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(latitude)), M_PER_DEG_LAT)
    return shapely.transform(geometry, lambda coords: coords * scale)


def locate(
    *, latitude: float, longitude: float, boundaries: Iterable[tuple[Any, dict]], tolerance_m: float
) -> tuple[Any, float] | None:
    """The key of the boundary containing the point (distance 0), else of the nearest one
    within ``tolerance_m`` metres, with that distance; ``None`` when none is that near."""
    point = Point(longitude, latitude)
    best: tuple[Any, float] | None = None
    for key, geometry in boundaries:
        try:
            shp = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            continue
        if shp.covers(point):
            return key, 0.0
        distance = _metric(shp, latitude).distance(_metric(point, latitude))
        if distance <= tolerance_m and (best is None or distance < best[1]):
            best = (key, distance)
    return best


def simplified(geometry: dict, *, tolerance_deg: float = 0.0002) -> dict:
    """A lighter copy for drawing on a map (about 20 m)."""
    return dict(mapping(shape(geometry).simplify(tolerance_deg, preserve_topology=True)))
