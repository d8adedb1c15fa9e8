"""Photos a resident sent in a 通報 that never became a report are a store of their own in
the retention table: the hourly job deletes them (rows, originals, copies) once their period
has passed since they were received, not before, and audits the count."""

import datetime as dt

import time_machine
from django.utils import timezone

from accounts.models import AuditEntry
from intake.roads.models import ReportPhoto
from portal.tasks import purge_personal_data
from tests.fixtures.roads import jpeg_bytes
from tests.roads.helpers import pb

USER = "U" + "7a" * 16


def _files(settings) -> list:
    roots = (settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_a_photo_of_an_abandoned_report_goes_after_its_period(line_resident, road_setup, settings, run_on_commit):
    settings.RETENTION_ROAD_UNSENT_PHOTO_DAYS = 2
    line_resident.follow(USER)
    line_resident.text(USER, "通報")
    line_resident.postback(USER, pb("category", road_setup["pothole"].pk))
    line_resident.postback(USER, pb("danger", "no"))
    line_resident.image(USER, body=jpeg_bytes(exif_gps=(33.6, 130.41)))  # then the resident gives up
    photo = ReportPhoto.objects.get()
    assert photo.report is None and photo.state == ReportPhoto.State.READY and _files(settings)

    with time_machine.travel(timezone.now() + dt.timedelta(days=1, hours=23), tick=False):
        assert purge_personal_data.apply().get()["roads.unsent_photos"] == {"photos": 0}
    assert ReportPhoto.objects.filter(pk=photo.pk).exists()
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=2, hours=1), tick=False),
        run_on_commit(),
    ):
        assert purge_personal_data.apply().get()["roads.unsent_photos"] == {"photos": 1}
    assert not ReportPhoto.objects.exists() and not _files(settings)
    entry = AuditEntry.objects.filter(action="retention.purged", target_id="roads.unsent_photos").order_by("-id").first()
    assert entry.detail["period_days"] == 2
    assert purge_personal_data.apply().get()["roads.unsent_photos"] == {"photos": 0}  # idempotent


def test_a_photo_that_became_a_report_is_not_an_unsent_one(line_resident, road_setup, settings):
    line_resident.follow(USER)
    line_resident.text(USER, "通報")
    line_resident.postback(USER, pb("category", road_setup["pothole"].pk))
    line_resident.postback(USER, pb("danger", "no"))
    line_resident.image(USER, body=jpeg_bytes())
    line_resident.postback(USER, pb("photos", "next"))
    line_resident.location(USER, 33.59, 130.40)
    line_resident.postback(USER, pb("comment", "none"))
    line_resident.postback(USER, pb("confirm", "yes"))
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=False):
        assert purge_personal_data.apply().get()["roads.unsent_photos"] == {"photos": 0}
    assert ReportPhoto.objects.get().report is not None
