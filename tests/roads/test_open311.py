"""Open311 GeoReport v2: a client lists services and requests and posts one; answers
validate against the GeoReport v2 JSON schemas in ../shared/open311/."""

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings

from intake.roads import services
from intake.roads.models import ReportPhoto, RoadReport
from portal.context import AuditContext
from portal.line.models import Resident
from tests.fixtures.roads import jpeg_bytes

SCHEMAS = Path(settings.BASE_DIR).parent / "shared" / "open311"
USER = "U" + "c" * 32


def validate(name: str, data) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/open311 is absent (a clone outside CI): schema validation skipped")
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = {
        p.name: Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT7) for p in SCHEMAS.glob("*.json")
    }
    registry = Registry().with_resources(resources.items())
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft7Validator(schema, registry=registry).validate(data)


@pytest.fixture
def api_key(admin_user):
    _key, raw = services.api_key_issue(name="FixMyStreet", ctx=AuditContext.system(admin_user))
    return raw


def test_schema_check_rejects_a_bad_answer():
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        validate(
            "requests.json", [{"service_request_id": "R-1", "status": "pending", "service_code": "x", "requested_datetime": "x"}]
        )


def test_services_list_and_definition(client, road_setup):
    data = client.get("/open311/v2/services.json").json()
    validate("services.json", data)
    codes = {s["service_code"] for s in data}
    assert {"pothole", "streetlight", "other"} <= codes
    definition = client.get("/open311/v2/services/pothole.json").json()
    validate("service-definition.json", definition)
    assert client.get("/open311/v2/services/nothing.json").status_code == 404
    xml = ET.fromstring(client.get("/open311/v2/services.xml").content)  # noqa: S314 - our own answer
    assert xml.tag == "services" and len(xml.findall("service")) == len(data)


def test_post_then_list_and_fetch_a_request(client, road_setup, api_key):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "pothole",
            "lat": "33.5903",
            "long": "130.4018",
            "description": "歩道の段差",
            "email": "someone@example.jp",
            "first_name": "太郎",
            "phone": "090-0000-0000",
        },
    )
    assert response.status_code == 201
    ref = response.json()[0]["service_request_id"]
    report = RoadReport.objects.get(reference=ref)
    assert report.source == "open311" and report.latitude == 33.5903
    # Not triaged yet: not published.
    assert client.get("/open311/v2/requests.json").json() == []
    assert client.get(f"/open311/v2/requests/{ref}.json").status_code == 404
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())

    listing = client.get("/open311/v2/requests.json?service_code=pothole&status=open")
    data = listing.json()
    validate("requests.json", data)
    assert [r["service_request_id"] for r in data] == [ref]
    assert data[0]["status"] == "open" and data[0]["lat"] == 33.59 and data[0]["long"] == 130.402
    single = client.get(f"/open311/v2/requests/{ref}.json").json()
    validate("requests.json", single)
    assert single[0]["description"] is None  # what the reporter typed is never published
    assert "歩道の段差" not in listing.content.decode()
    assert client.get("/open311/v2/requests.json?status=closed").json() == []
    body = listing.content.decode()
    assert "someone@example.jp" not in body and "090-0000-0000" not in body and "太郎" not in body
    xml = ET.fromstring(client.get(f"/open311/v2/requests/{ref}.xml").content)  # noqa: S314 - our own answer
    assert xml.find("request/service_request_id").text == ref


def test_post_requires_a_valid_key(client, road_setup, api_key, admin_user):
    bad = client.post("/open311/v2/requests.json", {"api_key": "nope", "service_code": "pothole", "lat": "1", "long": "1"})
    assert bad.status_code == 403
    key = services.api_key_verify(raw=api_key)
    services.api_key_revoke(key=key, ctx=AuditContext.system(admin_user))
    revoked = client.post("/open311/v2/requests.json", {"api_key": api_key, "service_code": "pothole", "lat": "1", "long": "1"})
    assert revoked.status_code == 403
    assert RoadReport.objects.count() == 0


def test_line_reports_expose_no_personal_data_and_respect_privacy(client, make_report):
    resident = Resident.objects.create(line_user_id=USER, display_name="山田花子")
    report = make_report(resident=resident, comment="090-1234-5678 山田です")
    photo = ReportPhoto.objects.create(report=report)
    services._store(photo, jpeg_bytes(), folder="photos")
    photo.save()
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    data = client.get("/open311/v2/requests.json").json()
    validate("requests.json", data)
    text = json.dumps(data, ensure_ascii=False)
    assert USER not in text and "山田" not in text and "090-1234-5678" not in text
    assert data[0]["media_url"] is None  # not yet publishable
    services.photo_update(photo=photo, ctx=AuditContext.system(), publishable=True)
    data = client.get("/open311/v2/requests.json").json()
    media = data[0]["media_url"]
    assert media and media.startswith(settings.PORTAL_BASE_URL)
    path = media.removeprefix(settings.PORTAL_BASE_URL.rstrip("/"))
    assert client.get(path).status_code == 200
    services.photo_update(photo=photo, ctx=AuditContext.system(), hidden=True)
    assert client.get("/open311/v2/requests.json").json()[0]["media_url"] is None
    assert client.get(path).status_code == 404
    services.report_set_private(report=report, is_private=True, ctx=AuditContext.system())
    assert client.get("/open311/v2/requests.json").json() == []
    assert client.get(f"/open311/v2/requests/{report.reference}.json").status_code == 404


def test_closed_status_and_date_filters(client, make_report):
    report = make_report()
    services.report_change_status(report=report, to="rejected", ctx=AuditContext.system())
    data = client.get("/open311/v2/requests.json?status=closed").json()
    validate("requests.json", data)
    assert data[0]["status"] == "closed" and data[0]["status_notes"]
    assert client.get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z").json() == []
    assert client.get("/open311/v2/requests.json?start_date=garbage").status_code == 400


def test_api_key_admin_page(client, admin_user, make_staff):
    client.force_login(admin_user)
    page = client.post("/roads/settings/api-keys/", {"name": "市ダッシュボード"}).content.decode()
    assert "o311_" in page
    client.force_login(make_staff("road"))
    assert client.get("/roads/settings/api-keys/").status_code == 403
