"""The triage workspace: status workflow and replies, duplicates and merge, bulk actions,
CSV export, statistics, photos (hide / redact), privacy, follow-ups, access."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEntry
from intake.roads import services
from intake.roads.models import ReportPhoto, RoadReport, Status
from portal.context import AuditContext
from portal.errors import DomainError
from portal.line.models import OutboundMessage, Resident
from tests.fixtures.roads import jpeg_bytes

from .helpers import finish_with_location, pb, start_to_photos

USER_A = "U" + "a" * 32
USER_B = "U" + "b" * 32


@pytest.fixture
def resident_a(db):
    return Resident.objects.create(line_user_id=USER_A)


@pytest.fixture
def resident_b(db):
    return Resident.objects.create(line_user_id=USER_B)


def pushed_texts(line_emulator, user):
    return [m["text"] for m in line_emulator.received(user) if m.get("type") == "text"]


def test_status_change_with_message_pushes_exactly_once(road_client, road_staff, line_emulator, make_report, resident_a):
    report = make_report(resident=resident_a)
    response = road_client.post(f"/roads/{report.pk}/status/", {"status": "checking", "message": "現地を確認します。"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "checking"
    entry = report.timeline.get(status_to="checking")
    assert entry.actor == road_staff and entry.created_at is not None
    assert pushed_texts(line_emulator, USER_A) == [f"【{report.reference}】\n現地を確認します。"]
    # The same timeline entry notified again (a retried job): no second push.
    services.resident_notify(report=report, entry=entry, text="現地を確認します。")
    assert len(pushed_texts(line_emulator, USER_A)) == 1
    assert OutboundMessage.objects.filter(resident=resident_a).count() == 1
    # A change without a message pushes nothing.
    road_client.post(f"/roads/{report.pk}/status/", {"status": "planned", "message": ""})
    assert len(pushed_texts(line_emulator, USER_A)) == 1


def test_template_message_and_after_photo_on_done(road_client, line_emulator, make_report, resident_a, road_setup, settings):
    from intake.roads.models import ResponseTemplate

    settings.PORTAL_BASE_URL = "https://portal.city.example.jp"
    report = make_report(resident=resident_a)
    for status in ("checking", "planned", "in_progress"):
        services.report_change_status(report=report, to=status, ctx=AuditContext.system())
    template = ResponseTemplate.objects.get(name="穴の補修完了")
    upload = io.BytesIO(jpeg_bytes(exif_gps=(33.5, 130.4)))
    upload.name = "after.jpg"
    road_client.post(f"/roads/{report.pk}/status/", {"status": "done", "template": template.pk, "after_photo": upload})
    report.refresh_from_db()
    assert report.status == "done" and report.closed_at is not None
    received = line_emulator.received(USER_A)
    assert received[0]["text"].endswith("ご連絡いただいた道路の穴は補修を完了しました。ご協力ありがとうございました。")
    image = received[1]
    assert image["type"] == "image"
    assert image["originalContentUrl"].startswith("https://portal.city.example.jp/roads/public/")
    # The public URL serves the EXIF-free copy without signing in.
    path = image["originalContentUrl"].removeprefix("https://portal.city.example.jp")
    from django.test import Client

    body = b"".join(Client().get(path).streaming_content)
    assert b"TestCam" not in body and dict(Image.open(io.BytesIO(body)).getexif()) == {}


def test_transition_table_is_enforced(make_report):
    report = make_report()
    with pytest.raises(DomainError):
        services.report_change_status(report=report, to=Status.DONE, ctx=AuditContext.system())
    services.report_change_status(report=report, to=Status.REJECTED, ctx=AuditContext.system())
    with pytest.raises(DomainError):
        services.report_change_status(report=report, to=Status.IN_PROGRESS, ctx=AuditContext.system())
    services.report_change_status(report=report, to=Status.CHECKING, ctx=AuditContext.system())  # reopen
    assert services.status_type(Status.DONE) == "fixed" and services.status_type(Status.DUPLICATE) == "closed"


def test_reference_numbers_are_unique_and_sequential(make_report):
    refs = [make_report(lat=None, lng=None).reference for _ in range(5)]
    assert len(set(refs)) == 5
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == sorted(numbers)


def test_duplicates_flagged_within_30m_same_category_open_last_30_days(make_report):
    first = make_report(lat=33.59, lng=130.40)
    near = make_report(lat=33.59018, lng=130.40)  # ~20 m north
    far = make_report(lat=33.5905, lng=130.40)  # ~55 m
    other_category = make_report("drain", lat=33.59, lng=130.40)
    assert near.possible_duplicate_of == first
    assert far.possible_duplicate_of is None
    assert other_category.possible_duplicate_of is None
    services.report_change_status(report=first, to=Status.REJECTED, ctx=AuditContext.system())
    services.report_change_status(report=near, to=Status.REJECTED, ctx=AuditContext.system())
    assert make_report(lat=33.59, lng=130.40).possible_duplicate_of is None  # closed ones do not count
    old = make_report("mirror-sign", lat=33.6, lng=130.5, created_at=timezone.now() - timedelta(days=40))
    assert old.pk
    assert make_report("mirror-sign", lat=33.6, lng=130.5).possible_duplicate_of is None


def test_duplicate_filter_and_merge_updates_both_residents(road_client, line_emulator, make_report, resident_a, resident_b):
    first = make_report(resident=resident_a)
    second = make_report(resident=resident_b, lat=33.59005)
    page = road_client.get("/roads/?duplicates=true").content.decode()
    assert second.reference in page and first.reference not in page
    road_client.post(f"/roads/{second.pk}/merge/", {"into": first.reference})
    second.refresh_from_db()
    assert second.status == "duplicate" and second.duplicate_of == first
    assert any(first.reference in t for t in pushed_texts(line_emulator, USER_B))
    road_client.post(f"/roads/{first.pk}/status/", {"status": "checking", "message": "確認を始めました。"})
    assert any("確認を始めました。" in t for t in pushed_texts(line_emulator, USER_A))
    assert any("確認を始めました。" in t for t in pushed_texts(line_emulator, USER_B))
    assert AuditEntry.objects.filter(action="roads.report_merged").count() == 1


def test_bulk_status_and_assignment(road_client, road_staff, make_report):
    reports = [make_report(lat=33.5 + i * 0.01) for i in range(3)]
    ids = [r.pk for r in reports]
    road_client.post("/roads/bulk/", {"report": ids, "action": "status", "status": "checking"})
    assert set(RoadReport.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"checking"}
    road_client.post("/roads/bulk/", {"report": ids[:2], "action": "assign", "assignee": road_staff.pk})
    assert RoadReport.objects.filter(assignee=road_staff).count() == 2
    # A transition the table refuses is reported, not applied.
    road_client.post("/roads/bulk/", {"report": ids, "action": "status", "status": "done"})
    assert set(RoadReport.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"checking"}


def test_queue_filters_and_sorting(road_client, road_staff, make_report):
    a = make_report("pothole", lat=33.5)
    b = make_report("streetlight", lat=33.6)
    services.report_assign(
        report=b, ctx=AuditContext.system(road_staff), assignee=road_staff, priority=4, fields=("assignee", "priority")
    )
    page = road_client.get(f"/roads/?category={b.category_id}").content.decode()
    assert b.reference in page and a.reference not in page
    page = road_client.get(f"/roads/?assignee={road_staff.pk}&priority=4").content.decode()
    assert b.reference in page and a.reference not in page
    today = timezone.localdate().isoformat()
    page = road_client.get(f"/roads/?date_from={today}&date_to={today}&status=received&sort=priority").content.decode()
    assert page.index(b.reference) < page.index(a.reference)
    page = road_client.get("/roads/?date_to=2000-01-01").content.decode()
    assert a.reference not in page


def test_csv_export_is_audited_and_has_no_line_ids(road_client, make_report, resident_a):
    report = make_report(resident=resident_a, comment="穴")
    response = road_client.get("/roads/export.csv?status=received")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == report.reference
    assert USER_A not in body
    entry = AuditEntry.objects.get(action="roads.exported")
    assert entry.detail["rows"] == 1


def test_opening_a_report_is_audited(road_client, make_report, resident_a):
    report = make_report(resident=resident_a)
    road_client.get(f"/roads/{report.pk}/")
    entry = AuditEntry.objects.get(action="roads.report_viewed")
    assert entry.target_repr == report.reference and USER_A not in entry.target_repr


def test_statistics_from_live_data(road_client, make_report):
    report = make_report()
    for status in ("checking", "planned", "in_progress", "done"):
        services.report_change_status(report=report, to=status, ctx=AuditContext.system())
    report.refresh_from_db()
    RoadReport.objects.filter(pk=report.pk).update(created_at=report.closed_at - timedelta(days=4))
    make_report("drain", lat=None, lng=None)
    page = road_client.get("/roads/stats/").content.decode()
    assert "道路の穴・陥没" in page and "側溝・マンホール" in page
    assert "4.0日" in page


def test_photo_hide_and_redact_keep_original_and_are_audited(road_client, make_report, settings):
    report = make_report()
    photo = ReportPhoto.objects.create(report=report)
    services._store(photo, jpeg_bytes(size=(200, 200)), folder="photos")
    photo.save()
    original = photo.original_path
    road_client.post(f"/roads/photos/{photo.pk}/edit/", {"op": "redact", "x": 0, "y": 0, "w": 50, "h": 50})
    photo.refresh_from_db()
    assert photo.redactions == [[0.0, 0.0, 0.5, 0.5]]
    body = b"".join(road_client.get(f"/roads/photos/{photo.pk}/full/").streaming_content)
    shown = Image.open(io.BytesIO(body)).convert("L")
    assert shown.getpixel((20, 20)) < 10  # blacked out
    assert shown.getpixel((150, 150)) > 60
    assert photo.original_path == original and (settings.PRIVATE_MEDIA_ROOT / original).exists()
    road_client.post(f"/roads/photos/{photo.pk}/edit/", {"op": "hide"})
    photo.refresh_from_db()
    assert photo.hidden
    assert AuditEntry.objects.filter(action="roads.photo_changed").count() == 2


def test_other_roles_cannot_see_reports_or_photos(client, make_staff, make_report):
    report = make_report()
    photo = ReportPhoto.objects.create(report=report)
    services._store(photo, jpeg_bytes(), folder="photos")
    photo.save()
    client.force_login(make_staff("pr_author"))
    assert client.get(f"/roads/{report.pk}/").status_code == 403
    assert client.get(f"/roads/photos/{photo.pk}/full/").status_code == 403
    # Not published: the public URL answers nothing.
    client.logout()
    assert client.get(f"/roads/public/{photo.public_token}/full/").status_code == 404


def test_follow_up_on_closed_report_reaches_staff_and_can_reopen(line_resident, line_emulator, road_setup, road_client):
    start_to_photos(line_resident, USER_A, road_setup["pothole"])
    line_resident.image(USER_A)
    finish_with_location(line_resident, USER_A)
    report = RoadReport.objects.get()
    road_client.post(f"/roads/{report.pk}/status/", {"status": "rejected", "message": "市の管理外でした。"})
    line_resident.postback(USER_A, f"flow=road&action=followup&ref={report.reference}")
    line_resident.text(USER_A, "まだ穴が空いたままです")
    report.refresh_from_db()
    assert report.needs_attention
    assert report.timeline.filter(kind="resident", text="まだ穴が空いたままです").exists()
    page = road_client.get("/roads/?attention=true").content.decode()
    assert report.reference in page
    road_client.post(f"/roads/{report.pk}/status/", {"status": "checking"})
    report.refresh_from_db()
    assert report.status == "checking" and not report.needs_attention


def test_follow_up_for_someone_elses_report_is_refused(line_resident, line_emulator, make_report, resident_b):
    report = make_report(resident=resident_b)
    line_resident.postback(USER_A, f"flow=road&action=followup&ref={report.reference}")
    assert "見つかりませんでした" in pushed_texts(line_emulator, USER_A)[-1]


def test_settings_pages_edit_categories(road_client, road_setup):
    cat = road_setup["pothole"]
    assert road_client.get("/roads/settings/categories/").status_code == 200
    road_client.post(
        f"/roads/settings/categories/{cat.pk}/",
        {
            "code": cat.code,
            "name": "道路の穴",
            "team": cat.team_id,
            "emergency_phone": "092-000-0000",
            "order": 0,
            "is_active": "on",
        },
    )
    cat.refresh_from_db()
    assert cat.emergency_phone == "092-000-0000"


def test_summary_asks_to_confirm(line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER_A, road_setup["pothole"])
    line_resident.image(USER_A)
    line_resident.postback(USER_A, pb("photos", "next"))
    line_resident.location(USER_A, 33.59, 130.4, address="天神")
    line_resident.postback(USER_A, pb("comment", "none"))
    summary = pushed_texts(line_emulator, USER_A)[-1]
    assert "道路の穴・陥没" in summary and "写真: 1枚" in summary and "天神" in summary
    assert RoadReport.objects.count() == 0


def test_queue_in_english(road_client, make_report):
    from django.conf import settings

    make_report()
    road_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = road_client.get("/roads/").content.decode()
    assert "Road reports" in page and "Received" in page
