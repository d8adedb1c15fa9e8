"""Where the damage is: area boundaries uploaded by an admin place a report in the area of
its location (not the resident's home area); the map's base layer and its tile settings."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.roads.models import RoadReport
from portal.line.models import Area, AreaBoundary, Resident

from .helpers import finish_with_location, start_to_photos

USER = "U" + "3" * 32

# Two neighbouring squares: west (A) and east (B), meeting at longitude 130.40.
WEST = [[130.38, 33.58], [130.40, 33.58], [130.40, 33.60], [130.38, 33.60], [130.38, 33.58]]
EAST = [[130.40, 33.58], [130.42, 33.58], [130.42, 33.60], [130.40, 33.60], [130.40, 33.58]]


def feature_collection(ring: list) -> bytes:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"N03_004": "x"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }
    return json.dumps(doc).encode()


def upload(admin_client, area: Area, body: bytes, **extra):
    data = {"name": area.name, "code": area.code, "order": area.order, "is_active": "on", **extra}
    data["boundary_file"] = SimpleUploadedFile("area.geojson", body, content_type="application/geo+json")
    return admin_client.post(f"/line/settings/areas/{area.pk}/", data)


@pytest.fixture
def two_areas(db, admin_client):
    west = Area.objects.create(code="west-ward", name="西地区", order=1)
    east = Area.objects.create(code="east-ward", name="東地区", order=2)
    assert upload(admin_client, west, feature_collection(WEST)).status_code == 302
    assert upload(admin_client, east, feature_collection(EAST)).status_code == 302
    return west, east


def test_report_inside_area_a_by_resident_of_area_b_is_in_a(two_areas, line_resident, road_setup, road_client):
    west, east = two_areas
    line_resident.follow(USER)
    Resident.objects.filter(line_user_id=USER).update(area=east)  # lives in B (east)
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.postback(USER, "flow=road&step=photos&value=next")  # no photo: re-prompted
    from tests.fixtures.roads import jpeg_bytes

    line_resident.image(USER, body=jpeg_bytes())
    finish_with_location(line_resident, USER, lat=33.59, lng=130.3999)  # 9 m west of the border: in A
    report = RoadReport.objects.get()
    assert report.area == west
    # The resident's own words about the place stay beside it.
    assert report.address_text == "福岡市中央区天神1丁目"
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert re.search(r'id="report-area">\s*西地区', page)
    assert "福岡市中央区天神1丁目" in page
    # The queue's 地域 filter and the statistics follow the location.
    assert report.reference in road_client.get(f"/roads/?area={west.pk}").content.decode()
    assert report.reference not in road_client.get(f"/roads/?area={east.pk}").content.decode()
    assert "西地区" in road_client.get("/roads/stats/").content.decode()


def test_two_reports_six_metres_apart_across_a_border(two_areas, make_report):
    west, east = two_areas
    a = make_report(lat=33.59, lng=130.39997)
    b = make_report(lat=33.59, lng=130.40003)
    assert (a.area, b.area) == (west, east)


def test_nearest_boundary_within_tolerance_else_blank(two_areas, make_report, settings):
    west, _east = two_areas
    settings.ROAD_AREA_TOLERANCE_M = 150
    near = make_report(lat=33.59, lng=130.3790)  # ~93 m west of A's west edge
    far = make_report(lat=33.59, lng=130.3700)  # ~930 m away from any boundary
    no_location = make_report(lat=None, lng=None, address_text="天神小学校の前")
    assert near.area == west
    assert far.area is None and no_location.area is None


def test_staff_set_the_area_when_none_was_found(two_areas, make_report, road_client):
    west, _east = two_areas
    report = make_report(lat=35.0, lng=135.0)
    assert report.area is None
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert "未設定" in page
    road_client.post(f"/roads/{report.pk}/assign/", {"priority": 2, "area": west.pk})
    report.refresh_from_db()
    assert report.area == west


def test_bad_boundary_upload_is_refused_clearly_and_changes_nothing(db, admin_client):
    area = Area.objects.create(code="x-ward", name="X地区")
    for body, words in [
        (b"not json", "GeoJSON"),
        (json.dumps({"type": "Point", "coordinates": [130.4, 33.5]}).encode(), "ポリゴン"),
        (json.dumps({"type": "Polygon", "coordinates": [[[500, 33], [501, 33], [501, 34], [500, 33]]]}).encode(), "範囲外"),
    ]:
        response = upload(admin_client, area, body, name="新しい名前")
        assert response.status_code == 200
        assert words in response.content.decode()
    area.refresh_from_db()
    assert area.name == "X地区" and not AreaBoundary.objects.filter(area=area).exists()


def test_boundary_can_be_removed(two_areas, admin_client):
    west, _east = two_areas
    data = {"name": west.name, "code": west.code, "order": 1, "is_active": "on", "boundary_clear": "on"}
    assert admin_client.post(f"/line/settings/areas/{west.pk}/", data).status_code == 302
    assert not AreaBoundary.objects.filter(area=west).exists()
    assert "登録済み" in admin_client.get("/line/settings/").content.decode()  # the east one


def test_demo_ships_boundaries_for_its_areas(db):
    from portal.line.devtools.demo import segments_load_demo
    from portal.line.selectors import area_at

    areas, _interests = segments_load_demo()
    assert AreaBoundary.objects.count() == len(areas) == 7
    assert area_at(latitude=33.5902, longitude=130.4017, tolerance_m=0).code == "chuo"  # City Hall
    assert area_at(latitude=33.5897, longitude=130.4207, tolerance_m=0).code == "hakata"  # Hakata station
    segments_load_demo()  # idempotent
    assert AreaBoundary.objects.count() == 7


def test_map_base_layer_without_tiles(two_areas, make_report, road_client, settings):
    settings.MAP_TILE_URL = ""
    report = make_report(lat=33.59, lng=130.39)
    for url in ("/roads/", f"/roads/{report.pk}/"):
        page = road_client.get(url).content.decode()
        assert "地図タイル未設定" in page
    data = road_client.get("/roads/areas.geojson").json()
    names = {f["properties"]["name"] for f in data["features"]}
    assert names == {"西地区", "東地区"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in data["features"])


def test_map_uses_the_tile_server_when_set(make_report, road_client, settings):
    settings.MAP_TILE_URL = "https://tiles.city.example.jp/{z}/{x}/{y}.png"
    report = make_report(lat=33.59, lng=130.39)
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert "地図タイル未設定" not in page
    config = json.loads(re.search(r'<script id="report-map-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["tile_url"] == settings.MAP_TILE_URL


def test_coordinates_shown_at_a_sensible_precision_with_a_copy_button(make_report, road_client):
    report = make_report(lat=33.590212345, lng=130.401734567)
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert '<span id="report-coords">33.59021, 130.40173</span>' in page
    assert 'data-copy="report-coords"' in page


def test_area_boundaries_need_road_permission(client, make_staff):
    assert client.get("/roads/areas.geojson").status_code in (302, 403)
    client.force_login(make_staff("waste"))
    assert client.get("/roads/areas.geojson").status_code == 403


def test_existing_reports_get_their_area_once_boundaries_exist(db, make_report, admin_client):
    from django.core.management import call_command

    west = Area.objects.create(code="west-ward", name="西地区", order=1)
    east = Area.objects.create(code="east-ward", name="東地区", order=2)
    blank = make_report(lat=33.59, lng=130.39)  # filed before any boundary existed
    staff_set = make_report(lat=33.59, lng=130.39)
    RoadReport.objects.filter(pk=staff_set.pk).update(area=east)
    no_location = make_report(lat=None, lng=None, address_text="駅前")
    assert blank.area is None
    upload(admin_client, west, feature_collection(WEST))
    upload(admin_client, east, feature_collection(EAST))
    out = io.StringIO()
    call_command("roads_locate_areas", stdout=out)
    assert "1 areas set" in out.getvalue()
    assert RoadReport.objects.get(pk=blank.pk).area == west
    assert RoadReport.objects.get(pk=staff_set.pk).area == east  # staff's choice kept by default
    call_command("roads_locate_areas", "--all", stdout=io.StringIO())
    assert RoadReport.objects.get(pk=staff_set.pk).area == west
    assert RoadReport.objects.get(pk=no_location.pk).area is None
