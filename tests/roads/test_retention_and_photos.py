"""Road reports keep residents' data only until their retention period after closure; public
photo URLs die when staff hide or unpublish; redaction leaves no unredacted copy behind."""

import datetime as dt

import pytest
import time_machine

from accounts.models import AuditEntry
from intake.roads import services
from intake.roads.models import ReportPhoto, RoadReport, TimelineEntry
from portal.context import AuditContext
from portal.tasks import purge_personal_data
from tests.fixtures.roads import jpeg_bytes

from .helpers import finish_with_location, start_to_photos

USER = "U" + "6" * 32
OTHER = "U" + "7" * 32


def _file_report(line_resident, road_setup, user: str, comment: str) -> RoadReport:
    line_resident.follow(user)
    start_to_photos(line_resident, user, road_setup["pothole"])
    line_resident.image(user, body=jpeg_bytes(exif_gps=(33.6, 130.41)))
    finish_with_location(line_resident, user, comment=comment)
    return RoadReport.objects.get(comment=comment)


def _files_of(report: RoadReport, settings) -> list:
    return [
        settings.PRIVATE_MEDIA_ROOT / p
        for row in ReportPhoto.objects.filter(report=report).values_list("original_path", "display_path", "thumb_path")
        for p in row
        if p
    ]


def test_purge_after_closure_plus_period(line_resident, road_setup, road_client, settings, run_on_commit):
    settings.RETENTION_ROAD_REPORT_DAYS = 30
    start = dt.datetime(2026, 1, 10, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        closed = _file_report(line_resident, road_setup, USER, "090-1111-2222 山田の家の前")
        still_open = _file_report(line_resident, road_setup, OTHER, "080-3333-4444 鈴木の前")
        services.resident_follow_up(report=closed, resident=closed.resident, text="まだ直っていません 090-1111-2222")
        road_client.post(f"/roads/{closed.pk}/status/", {"status": "in_progress"})
        road_client.post(f"/roads/{closed.pk}/status/", {"status": "done", "message": "補修しました"})
    files = _files_of(closed, settings)
    open_files = _files_of(still_open, settings)
    assert files and all(f.exists() for f in files)

    with time_machine.travel(start + dt.timedelta(days=25), tick=False):
        services.report_change_status(report=still_open, to="checking", ctx=AuditContext.system())  # still being worked
    # 29 days after closure: nothing is purged yet.
    with time_machine.travel(start + dt.timedelta(days=29), tick=False):
        result = purge_personal_data.apply().get()
    assert result["roads.reports"] == {"reports": 0, "photos": 0, "follow_ups": 0, "staff_texts": 0, "notes": 0}
    assert RoadReport.objects.get(pk=closed.pk).comment

    with time_machine.travel(start + dt.timedelta(days=31), tick=False), run_on_commit():
        result = purge_personal_data.apply().get()
    # the status message 「補修しました」 pushed to the resident goes too (staff_texts)
    assert result["roads.reports"] == {"reports": 1, "photos": 1, "follow_ups": 1, "staff_texts": 1, "notes": 0}
    report = RoadReport.objects.get(pk=closed.pk)
    assert report.resident is None and report.address_text == "" and report.comment == ""
    assert report.hint_latitude is None and report.personal_data_purged_at is not None
    assert not ReportPhoto.objects.filter(report=report).exists()
    assert not any(f.exists() for f in files)
    assert not TimelineEntry.objects.filter(report=report, kind="resident").exclude(text="").exists()
    # What statistics need stays.
    assert report.status == "done" and report.category.code == "pothole" and report.latitude is not None
    assert TimelineEntry.objects.filter(report=report, kind="status").count() == 3
    # The open report keeps everything.
    other = RoadReport.objects.get(pk=still_open.pk)
    assert other.resident is not None and other.comment and all(f.exists() for f in open_files)
    # Audited with its counts; a second run finds nothing (idempotent) and audits that too.
    entries = AuditEntry.objects.filter(action="retention.purged", target_id="roads.reports").order_by("id")
    assert entries.last().detail["reports"] == "1〜49" and entries.last().detail["period_days"] == 30
    with time_machine.travel(start + dt.timedelta(days=32), tick=False):
        assert purge_personal_data.apply().get()["roads.reports"]["reports"] == 0
    # The staff page still opens, showing no personal data.
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert "山田" not in page and "090-1111-2222" not in page


def test_report_left_open_and_untouched_for_the_period_is_purged_too(make_report, settings):
    from portal.line.models import Resident

    settings.RETENTION_ROAD_REPORT_DAYS = 30
    start = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        resident = Resident.objects.create(line_user_id=USER)
        stale = make_report(resident=resident, address_text="自宅前 090-1111-2222", comment="山田")
    with time_machine.travel(start + dt.timedelta(days=20), tick=False):
        active = make_report(resident=resident, address_text="学校前", comment="鈴木")
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        assert purge_personal_data.apply().get()["roads.reports"]["reports"] == 1
    stale.refresh_from_db()
    active.refresh_from_db()
    assert stale.status == "received" and stale.resident is None and stale.address_text == "" and stale.comment == ""
    assert active.resident == resident and active.comment == "鈴木"


def test_retention_store_is_registered_with_the_setting(settings):
    from portal import retention

    store = next(s for s in retention.stores() if s.key == "roads.reports")
    settings.RETENTION_ROAD_REPORT_DAYS = 12
    assert store.period_days() == 12


@pytest.fixture
def public_photo(make_report, road_client):
    report = make_report()
    services.report_change_status(report=report, to="checking", ctx=AuditContext.system())
    photo = ReportPhoto.objects.create(report=report)
    services._store(photo, jpeg_bytes(), folder="photos")
    photo.save()
    road_client.post(f"/roads/photos/{photo.pk}/edit/", {"op": "publish"})
    photo.refresh_from_db()
    return photo


@pytest.mark.parametrize("op", ["unpublish", "hide"])
def test_unpublish_and_hide_rotate_the_public_token(client, road_client, public_photo, op):
    old = f"/roads/public/{public_photo.public_token}/full/"
    response = client.get(old)
    assert response.status_code == 200
    cache = response["Cache-Control"]
    assert "private" in cache and "public" not in cache
    max_age = int(cache.split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= 300
    road_client.post(f"/roads/photos/{public_photo.pk}/edit/", {"op": op})
    public_photo.refresh_from_db()
    assert client.get(old).status_code == 404
    # Made public again: a new URL works, the old one stays dead.
    road_client.post(f"/roads/photos/{public_photo.pk}/edit/", {"op": "publish" if op == "unpublish" else "show"})
    public_photo.refresh_from_db()
    assert client.get(f"/roads/public/{public_photo.public_token}/full/").status_code == 200
    assert client.get(old).status_code == 404
    entry = AuditEntry.objects.filter(action="roads.photo_changed").last()
    assert entry.target_repr == f"{public_photo.report.reference} の写真 #{public_photo.pk}"


def test_redaction_deletes_the_superseded_copies(road_client, public_photo, settings):
    before = [settings.PRIVATE_MEDIA_ROOT / public_photo.display_path, settings.PRIVATE_MEDIA_ROOT / public_photo.thumb_path]
    assert all(p.exists() for p in before)
    road_client.post(f"/roads/photos/{public_photo.pk}/edit/", {"op": "redact", "x": 0, "y": 0, "w": 50, "h": 50})
    public_photo.refresh_from_db()
    assert public_photo.redactions
    assert not any(p.exists() for p in before)
    after = [settings.PRIVATE_MEDIA_ROOT / public_photo.display_path, settings.PRIVATE_MEDIA_ROOT / public_photo.thumb_path]
    assert all(p.exists() for p in after)
    assert (settings.PRIVATE_MEDIA_ROOT / public_photo.original_path).exists()  # the original is kept
    # Only the current copies of this photo remain on disk.
    folder = after[0].parent
    mine = sorted(p.name for p in folder.glob(f"{public_photo.pk}-*") if "original" not in p.name)
    assert mine == sorted(p.name for p in after)
