"""The auditor's check: a resident files a road report and a bulky booking with personal
data, gets a broadcast, then blocks the account. Once every period has passed and every beat
job has run, no table holds their LINE ID, what they typed, their address or phone."""

import datetime as dt
import json

import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from intake.bulky.models import Booking
from intake.roads.models import RoadReport
from intake.roads.services import report_change_status
from portal.celery import app as celery_app
from portal.context import AuditContext
from tests.fixtures.bulky import bookable_date
from tests.fixtures.commit import committed
from tests.fixtures.roads import jpeg_bytes
from tests.roads.helpers import pb

USER = "U" + "5eed" * 8
TYPED_PLACE = "自宅前 山田花子 090-1234-5678 博多区1-2-3"
COMMENT = "夜は 092-111-2222 まで"
ADDRESS = "福岡市博多区博多駅前9-9-9"
PHONE = "080-9999-0000"
SECRETS = [USER, "山田", "090-1234-5678", "博多区1-2-3", "092-111-2222", ADDRESS, "9-9-9", PHONE, "9999-0000"]


def _every_stored_text() -> dict[str, str]:
    """Each table's rows as text, read straight from the database."""
    dump = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if not model._meta.managed:
                continue
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - table names from the models
            dump[table] = json.dumps(cursor.fetchall(), default=str, ensure_ascii=False)
    return dump


def _resident_files(settings) -> list:
    roots = (settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file() and "broadcasts" not in p.parts]


def _run_every_beat_job() -> None:
    import importlib
    import importlib.util

    for config in apps.get_app_configs():  # every app's tasks module, as the worker loads them
        if importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        with committed():  # as a worker runs it: its transaction commits
            celery_app.tasks[entry["task"]].apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))


def test_nothing_personal_is_left_once_every_period_has_passed(
    line_resident,
    line_emulator,
    road_setup,
    road_staff,
    bulky_setup,
    open_booking_page,
    author,
    approver,
    make_broadcast,
    make_residents,
    run_on_commit,
    settings,
):
    line_emulator.add_profile(USER, "山田 花子")
    line_resident.follow(USER)
    # a road report with a typed place, a comment and a photo
    line_resident.text(USER, "通報")
    line_resident.postback(USER, pb("category", road_setup["pothole"].pk))
    line_resident.postback(USER, pb("danger", "no"))
    line_resident.image(USER, body=jpeg_bytes(exif_gps=(33.6, 130.41)))
    line_resident.postback(USER, pb("photos", "next"))
    line_resident.postback(USER, pb("place", "address"))
    line_resident.text(USER, TYPED_PLACE)
    line_resident.text(USER, COMMENT)
    line_resident.postback(USER, pb("confirm", "yes"))
    report = RoadReport.objects.get()
    assert report.address_text == TYPED_PLACE
    # an abandoned second report: the typed place sits in the conversation
    line_resident.text(USER, "通報")
    # a bulky booking with address and phone
    page = open_booking_page(USER)
    form = page.form(area=bulky_setup.chuo.pk, collection_date=bookable_date(7).isoformat(), address=ADDRESS, phone=PHONE)
    form[f"qty_{bulky_setup.chair.pk}"] = "1"
    assert page.book(form).status_code == 302
    booking = Booking.objects.get()
    # a broadcast that reached them
    area = page.resident.area or bulky_setup.chuo.area
    from portal.line.models import Resident

    Resident.objects.filter(line_user_id=USER).update(area=area)
    make_residents(60, area=area)
    with run_on_commit():  # approval sends it (承認後すぐに配信)
        make_broadcast(areas=[area], to="approved", approver=approver)
    assert "お知らせです" in line_emulator.received_texts(USER)
    # staff close the report; the resident leaves
    report_change_status(report=report, to="rejected", ctx=AuditContext.system(road_staff))
    line_resident.unfollow(USER)
    assert _resident_files(settings)  # the photo's original and copies are on disk
    stored = _every_stored_text()
    assert any(USER in text for text in stored.values()) and any(ADDRESS in text for text in stored.values())

    later = timezone.now() + dt.timedelta(days=max(400, booking.collection_date.toordinal() - dt.date.today().toordinal() + 200))
    with time_machine.travel(later, tick=False):
        _run_every_beat_job()
    stored = _every_stored_text()
    # audit details are kept longer (3 years); nothing a resident typed may be in them either
    leaks = {table: [s for s in SECRETS if s in text] for table, text in stored.items()}
    leaks = {table: found for table, found in leaks.items() if found}
    assert not leaks, leaks
    # and the resident's photos (originals and derived copies) are gone from disk
    files = [
        p for root in (settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT) if root.exists() for p in root.rglob("*") if p.is_file()
    ]
    assert not [p for p in files if "broadcasts" not in p.parts], files
