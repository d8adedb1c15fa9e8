"""The auditor's check: a resident files a road report and a bulky booking with personal
data, gets a broadcast, then blocks the account. Once every period has passed and every beat
job has run, no table holds their LINE ID, what they typed, their address or phone."""

import datetime as dt
import json

import time_machine
from django.apps import apps
from django.db import connection
from django.utils import timezone

from intake.bulky.models import Booking
from intake.roads.models import RoadReport
from intake.roads.services import report_change_status
from portal.context import AuditContext
from tests.fixtures.roads import jpeg_bytes
from tests.retention.footprint import book_a_chair, load_every_task_module, report_by_chat, resident_files, run_every_beat_job

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


def test_nothing_personal_is_left_once_every_period_has_passed(
    line_resident,
    line_emulator,
    road_setup,
    road_staff,
    bulky_setup,
    open_booking_page,
    author,
    approver,
    make_residents,
    settings,
    send_broadcast,
):
    line_emulator.add_profile(USER, "山田 花子")
    line_resident.follow(USER)
    # a road report with a typed place, a comment and a photo
    photos = [jpeg_bytes(exif_gps=(33.6, 130.41))]
    report_by_chat(line_resident, USER, road_setup["pothole"], photos=photos, typed_place=TYPED_PLACE, comment=COMMENT)
    report = RoadReport.objects.get()
    assert report.address_text == TYPED_PLACE
    # an abandoned second report: the typed place sits in the conversation
    line_resident.text(USER, "通報")
    # a bulky booking with address and phone
    page = book_a_chair(open_booking_page, USER, bulky_setup.chuo, bulky_setup.chair, address=ADDRESS, phone=PHONE)
    booking = Booking.objects.get()
    # a broadcast that reached them
    area = page.resident.area or bulky_setup.chuo.area
    from portal.line.models import Resident

    Resident.objects.filter(line_user_id=USER).update(area=area)
    make_residents(60, area=area)
    send_broadcast(areas=[area])  # approval sends it (承認後すぐに配信)
    assert "お知らせです" in line_emulator.received_texts(USER)
    # staff close the report; the resident leaves
    report_change_status(report=report, to="rejected", ctx=AuditContext.system(road_staff))
    line_resident.unfollow(USER)
    assert resident_files(settings)  # the photo's original and copies are on disk
    stored = _every_stored_text()
    assert any(USER in text for text in stored.values()) and any(ADDRESS in text for text in stored.values())

    later = timezone.now() + dt.timedelta(days=max(400, booking.collection_date.toordinal() - dt.date.today().toordinal() + 200))
    load_every_task_module()
    with time_machine.travel(later, tick=False):
        run_every_beat_job()
    stored = _every_stored_text()
    # audit details are kept longer (3 years); nothing a resident typed may be in them either
    leaks = {table: [s for s in SECRETS if s in text] for table, text in stored.items()}
    leaks = {table: found for table, found in leaks.items() if found}
    assert not leaks, leaks
    # and the resident's photos (originals and derived copies) are gone from disk
    assert not resident_files(settings), resident_files(settings)
