"""Hostile uploads: broadcast images (compose page), the road team's 補修後の写真 and an
admin's area boundary (GeoJSON). Each bad file gets a clear refusal in the staff member's
words (a 4xx or the form re-shown with the message), nothing is stored, and no traceback
reaches the log; the odd but legitimate ones (CMYK JPEG, 16-bit PNG, animated GIF's first
frame where GIF is allowed) never cause a server error."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import roles
from broadcasts.models import BroadcastImage
from tests.fixtures.images import bilevel_png


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def _jpeg() -> bytes:
    return _encode(Image.new("RGB", (640, 480), (200, 40, 40)), "JPEG")


def _animated_gif() -> bytes:
    frames = [Image.new("P", (64, 64), i) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
BAD = {
    "zero-bytes": b"",
    "truncated-jpeg": _jpeg()[:400],
    "jpeg-header-only": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "html-as-jpg": b"<html><script>alert(1)</script></html>",
    "svg": SVG,
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "pixel-bomb-png": bilevel_png(7300, 5440),
    "huge-dimensions-png": bilevel_png(60000, 60000),
    "random": bytes(range(256)) * 40,
}
ODD_BUT_VALID = {
    "cmyk-jpeg": _encode(Image.new("CMYK", (320, 240), (0, 80, 80, 0)), "JPEG"),
    "png-16-bit": _encode(Image.new("I;16", (320, 240), 40000), "PNG"),
    "animated-gif": _animated_gif(),
    "grey-jpeg": _encode(Image.new("L", (320, 240), 128), "JPEG"),
    "png-with-alpha": _encode(Image.new("RGBA", (320, 240), (0, 0, 255, 128)), "PNG"),
}


def _errors(caplog):
    return [f"{r.name}: {r.getMessage()[:160]}" for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _compose(client, name: str, payload: bytes):
    upload = SimpleUploadedFile(name, payload, content_type="image/jpeg")
    return client.post(reverse("broadcasts:new"), {"title": "x", "bubble-0-type": "image", "bubble-0-image": upload})


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_broadcast_images_are_refused_and_not_stored(client, author, caplog, kind):
    caplog.set_level(logging.ERROR)
    client.force_login(author)
    response = _compose(client, "photo.jpg", BAD[kind])
    assert response.status_code == 400, response.status_code
    assert "吹き出し1" in response.content.decode()
    assert BroadcastImage.objects.count() == 0
    assert _errors(caplog) == []


@pytest.mark.parametrize("kind", list(ODD_BUT_VALID))
def test_odd_but_valid_broadcast_images_never_crash(client, author, caplog, kind):
    caplog.set_level(logging.ERROR)
    client.force_login(author)
    response = _compose(client, "photo.png", ODD_BUT_VALID[kind])
    assert response.status_code in (302, 400), response.status_code
    assert _errors(caplog) == []
    if response.status_code == 302:
        image = BroadcastImage.objects.get()
        assert Image.open(image.original.open("rb")).format in ("JPEG", "PNG")  # what LINE accepts


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [*BAD, "svg-named-svg"])
def test_bad_after_photos_are_refused_and_nothing_changes(client, make_staff, make_report, caplog, kind):
    from intake.roads.models import ReportPhoto

    caplog.set_level(logging.ERROR)
    client.force_login(make_staff(roles.ROAD))
    report = make_report()
    before = (report.status, ReportPhoto.objects.count())
    payload = SVG if kind == "svg-named-svg" else BAD[kind]
    upload = SimpleUploadedFile("after.svg" if kind == "svg-named-svg" else "after.jpg", payload, content_type="image/jpeg")
    response = client.post(
        reverse("roads:change_status", kwargs={"pk": report.pk}), {"status": "done", "message": "", "after_photo": upload}
    )
    assert response.status_code in (302, 400)
    report.refresh_from_db()
    assert (report.status, ReportPhoto.objects.count()) == before
    assert _errors(caplog) == []


def _square(x: float = 130.40, y: float = 33.59, d: float = 0.01) -> list:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def _nested_collections(depth: int) -> dict:
    geometry: dict = {"type": "Polygon", "coordinates": _square()}
    for _ in range(depth):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    return geometry


GEOJSON_BAD = {
    "not-json": b"{not json",
    "empty": b"",
    "a-list": b"[]",
    "a-string": b'"Polygon"',
    "a-point": json.dumps({"type": "Point", "coordinates": [130.4, 33.59]}).encode(),
    "a-line": json.dumps({"type": "LineString", "coordinates": [[130.4, 33.59], [130.5, 33.6]]}).encode(),
    "wrong-crs-metres": json.dumps({"type": "Polygon", "coordinates": _square(x=500000, y=3700000, d=1000)}).encode(),
    "swapped-lat-lng-out-of-range": json.dumps({"type": "Polygon", "coordinates": _square(x=33.59, y=130.4)}).encode(),
    "zero-area": json.dumps({"type": "Polygon", "coordinates": [[[130.4, 33.59]] * 4]}).encode(),
    "coordinates-strings": json.dumps({"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"]]]}).encode(),
    "coordinates-null": json.dumps({"type": "Polygon", "coordinates": None}).encode(),
    "coordinates-nested-wrong": json.dumps({"type": "Polygon", "coordinates": [[[[[130.4]]]]]}).encode(),
    "nan": b'{"type": "Polygon", "coordinates": [[[NaN, 33.5], [130.5, 33.5], [130.5, 33.6], [NaN, 33.5]]]}',
    "infinity": b'{"type": "Polygon", "coordinates": [[[Infinity, 33.5], [130.5, 33.5], [130.5, 33.6], [Infinity, 33.5]]]}',
    "deeply-nested-json": b"[" * 100_000 + b"]" * 100_000,
    "nested-collections": json.dumps(_nested_collections(450)).encode(),
    "features-not-a-list": json.dumps({"type": "FeatureCollection", "features": 5}).encode(),
    "feature-geometry-null": json.dumps({"type": "Feature", "geometry": None}).encode(),
    "nul-in-json": b'{"type": "Polygon\\u0000", "coordinates": []}',
    "too-large": b" " * (5 * 1024 * 1024 + 1),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(GEOJSON_BAD))
def test_bad_area_boundaries_are_refused_and_nothing_is_stored(client, admin_user, caplog, kind):
    from portal.line.models import Area, AreaBoundary

    caplog.set_level(logging.ERROR)
    client.force_login(admin_user)
    areas = Area.objects.count()
    upload = SimpleUploadedFile("ward.geojson", GEOJSON_BAD[kind], content_type="application/geo+json")
    response = client.post(
        reverse("line:area_create"),
        {"name": "新しい区", "code": "new-ward", "order": 9, "is_active": "on", "boundary_file": upload},
    )
    assert response.status_code in (200, 400), response.status_code  # the form again, with the message
    assert "境界" in response.content.decode()
    assert Area.objects.count() == areas
    assert not AreaBoundary.objects.exists()
    assert _errors(caplog) == []


@pytest.mark.django_db
def test_a_self_intersecting_boundary_is_repaired_or_refused_never_a_500(client, admin_user, caplog):
    from portal.line.models import AreaBoundary

    caplog.set_level(logging.ERROR)
    client.force_login(admin_user)
    ring = [[130.40, 33.59], [130.41, 33.60], [130.41, 33.59], [130.40, 33.60], [130.40, 33.59]]
    bowtie = {"type": "Polygon", "coordinates": [ring]}
    upload = SimpleUploadedFile("ward.geojson", json.dumps(bowtie).encode(), content_type="application/geo+json")
    response = client.post(
        reverse("line:area_create"),
        {"name": "蝶ネクタイ区", "code": "bowtie", "order": 9, "is_active": "on", "boundary_file": upload},
    )
    assert response.status_code in (200, 302, 400)
    assert _errors(caplog) == []
    if response.status_code == 302:
        from shapely.geometry import shape

        assert shape(AreaBoundary.objects.get().geometry).is_valid
