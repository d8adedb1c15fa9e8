"""Open311 publishes nothing a resident typed: category, status, staff-written public text,
coordinates rounded to about 100 m and times to the hour; untriaged and private reports stay
out unless staff publish them; the XML is well-formed whatever was typed."""

import datetime as dt
import json
import re
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
import time_machine

from intake.roads import services
from intake.roads.models import RoadReport
from portal.context import AuditContext
from portal.line.models import Resident

from .helpers import start_to_photos

USER = "U" + "5" * 32
TYPED_ADDRESS = "自宅前 山田花子 090-1234-5678 博多区1-2-3"
TYPED_COMMENT = "隣の鈴木さんの家の前です 080-9999-0000"


def both_formats(client, path: str = "/open311/v2/requests") -> tuple[list[dict], bytes]:
    data = client.get(f"{path}.json").json()
    xml = client.get(f"{path}.xml").content
    return data, xml


def decimals(value: float) -> int:
    return max(0, -int(Decimal(repr(value)).as_tuple().exponent))


@pytest.fixture
def typed_report(line_resident, road_setup):
    line_resident.follow(USER)
    start_to_photos(line_resident, USER, road_setup["pothole"])
    from tests.fixtures.roads import jpeg_bytes

    line_resident.image(USER, body=jpeg_bytes())
    line_resident.postback(USER, "flow=road&step=photos&value=next")
    line_resident.postback(USER, "flow=road&step=place&value=address")
    line_resident.text(USER, TYPED_ADDRESS)
    line_resident.text(USER, TYPED_COMMENT)
    line_resident.postback(USER, "flow=road&step=confirm&value=yes")
    report = RoadReport.objects.get()
    assert report.address_text == TYPED_ADDRESS and report.comment == TYPED_COMMENT
    RoadReport.objects.filter(pk=report.pk).update(latitude=33.5902137, longitude=130.4017891)
    return RoadReport.objects.get(pk=report.pk)


def test_untriaged_report_stays_out_until_triaged_or_published(client, typed_report, road_client):
    data, xml = both_formats(client)
    assert data == [] and b"<request>" not in xml
    assert client.get(f"/open311/v2/requests/{typed_report.reference}.json").status_code == 404
    # Staff publish it while still 受付.
    road_client.post(f"/roads/{typed_report.pk}/privacy/", {"publish": "1"})
    data, _xml = both_formats(client)
    assert [r["service_request_id"] for r in data] == [typed_report.reference]
    assert data[0]["status_notes"] == "受け付けました"


def test_nothing_typed_no_fine_coordinate_no_exact_time(client, typed_report, road_client):
    with time_machine.travel(dt.datetime(2026, 11, 30, 14, 47, 31, tzinfo=dt.UTC), tick=False):
        road_client.post(f"/roads/{typed_report.pk}/status/", {"status": "checking", "message": ""})
    RoadReport.objects.filter(pk=typed_report.pk).update(created_at=dt.datetime(2026, 11, 30, 9, 13, 59, tzinfo=dt.UTC))
    data, xml = both_formats(client)
    assert len(data) == 1
    text = json.dumps(data, ensure_ascii=False) + xml.decode("utf-8")
    for typed in (TYPED_ADDRESS, TYPED_COMMENT, "山田花子", "090-1234-5678", "鈴木", "博多区1-2-3", USER):
        assert typed not in text
    row = data[0]
    assert row["address"] is None and row["description"] is None
    assert row["service_name"] == "道路の穴・陥没" and row["status"] == "open"
    assert (row["lat"], row["long"]) == (33.59, 130.402)
    assert decimals(row["lat"]) <= 3 and decimals(row["long"]) <= 3
    assert row["requested_datetime"] == "2026-11-30T18:00:00+09:00"  # 18:13:59 JST, to the hour
    assert row["updated_datetime"] == "2026-11-30T23:00:00+09:00"
    root = ET.fromstring(xml)  # noqa: S314 - our own answer
    node = root.find("request")
    assert node.find("lat").text == "33.59" and node.find("long").text == "130.402"
    assert node.find("address").text is None and node.find("description").text is None
    for value in re.findall(r"\d+\.\d+", xml.decode()):
        assert len(value.split(".")[1]) <= 3


def test_staff_written_public_text_is_published(client, typed_report, road_client):
    road_client.post(f"/roads/{typed_report.pk}/status/", {"status": "planned"})
    road_client.post(
        f"/roads/{typed_report.pk}/public-info/",
        {"public_description": "車道の穴（直径30cm程度）", "public_address": "博多区博多駅前1丁目付近"},
    )
    data, xml = both_formats(client)
    assert data[0]["description"] == "車道の穴（直径30cm程度）"
    assert data[0]["address"] == "博多区博多駅前1丁目付近"
    assert "博多区博多駅前1丁目付近" in xml.decode()
    from accounts.models import AuditEntry

    entry = AuditEntry.objects.get(action="roads.public_info_changed")
    assert entry.detail["changes"]["public_address"] == ["", "博多区博多駅前1丁目付近"]


def test_private_reports_stay_out(client, typed_report, road_client):
    road_client.post(f"/roads/{typed_report.pk}/status/", {"status": "checking"})
    road_client.post(f"/roads/{typed_report.pk}/privacy/", {"is_private": "1"})
    assert both_formats(client)[0] == []
    road_client.post(f"/roads/{typed_report.pk}/privacy/", {"publish": "1"})
    assert len(both_formats(client)[0]) == 1


def test_control_characters_never_break_the_xml(client, make_report, road_client):
    report = make_report()
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    services.report_public_info_update(
        report=report, ctx=AuditContext.system(), public_description="穴\x01あり\x0b\x1f\ufffe", public_address="天神\x08付近"
    )
    category = report.category
    category.name = "道路\x01の穴"
    category.save()
    xml = client.get("/open311/v2/requests.xml").content
    root = ET.fromstring(xml)  # noqa: S314 - must parse: well-formed for everyone
    node = root.find("request")
    assert node.find("description").text == "穴あり"
    assert node.find("address").text == "天神付近"
    assert node.find("service_name").text == "道路の穴"
    services_xml = client.get("/open311/v2/services.xml").content
    ET.fromstring(services_xml)  # noqa: S314


def test_open311_post_keeps_the_reporter_text_private(client, road_setup, admin_user):
    _key, raw = services.api_key_issue(name="partner", ctx=AuditContext.system(admin_user))
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": raw, "service_code": "pothole", "address_string": TYPED_ADDRESS, "description": TYPED_COMMENT},
    )
    ref = response.json()[0]["service_request_id"]
    report = RoadReport.objects.get(reference=ref)
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    data, xml = both_formats(client)
    text = json.dumps(data, ensure_ascii=False) + xml.decode()
    assert ref in text and TYPED_ADDRESS not in text and TYPED_COMMENT not in text


def test_resident_link_never_published(client, make_report):
    resident = Resident.objects.create(line_user_id=USER, display_name="山田花子")
    report = make_report(resident=resident)
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    data, xml = both_formats(client)
    assert USER not in json.dumps(data) and USER.encode() not in xml


def test_date_filters_reveal_no_more_than_the_hour(client, make_report):
    report = make_report()
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    RoadReport.objects.filter(pk=report.pk).update(created_at=dt.datetime(2026, 11, 30, 9, 13, 59, tzinfo=dt.UTC))

    def listed(start: str, end: str) -> bool:
        rows = client.get("/open311/v2/requests.json", {"start_date": start, "end_date": end}).json()
        return any(r["service_request_id"] == report.reference for r in rows)

    # Any window inside the hour answers the same as the whole hour.
    assert listed("2026-11-30T09:00:00Z", "2026-11-30T09:00:00Z")
    assert listed("2026-11-30T09:20:00Z", "2026-11-30T09:59:59Z")
    assert listed("2026-11-30T09:00:00Z", "2026-11-30T09:05:00Z")
    assert not listed("2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z")
    assert not listed("2026-11-30T07:00:00Z", "2026-11-30T08:59:59Z")
