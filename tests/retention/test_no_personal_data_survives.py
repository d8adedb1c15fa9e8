"""The auditor's generic check (issue 10), stricter than test_sweep.py: a resident uses every
channel the portal offers (follow, 受信設定, a road report with photos and a follow-up, an
abandoned report, a bulky booking, a broadcast, staff replies and notes, blocking). Staff work
on both (view, reply, note, publish, redact). The clock then moves past each retention period
in turn (every store in ``portal.retention``'s registry, with the DB-configured periods) and
every task in ``CELERY_BEAT_SCHEDULE`` runs by name each time. Afterwards no field of any row
of any model (char, text, JSON walked as decoded text, binary), no other table (the database
cache), no session, no file under MEDIA_ROOT / PRIVATE_MEDIA_ROOT and the broker folder, no
log line and no public answer carries the resident's LINE ID, name, phone, address, typed
text or photo message IDs."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import pickle
import re

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, models
from django.test import Client
from django.utils import timezone

from accounts import roles
from intake.bulky.models import Booking
from intake.roads.models import ReportPhoto, RoadReport
from portal import retention
from portal.line.devtools.demo import segments_load_demo
from tests.fixtures.commit import CommitClient
from tests.fixtures.roads import jpeg_bytes
from tests.retention.footprint import book_a_chair, load_every_task_module, report_by_chat, resident_files, run_every_beat_job
from tests.roads.helpers import pb, start_to_photos

USER = "U" + "a1b2c3d4" * 4
OTHER = "U" + "0f9e8d7c" * 4  # stays a friend: only what they typed must go
NAME = "山田 花子"
TYPED_PLACE = "自宅前 山田花子 090-1234-5678 博多区1-2-3"
COMMENT = "夜は自宅 092-111-2222 におります"
FOLLOW_UP = "追加です、隣の佐藤さん宅の前も 080-3333-4444"
ABANDONED = "途中でやめた住所 中央区赤坂7-7-7"
ADDRESS = "福岡市博多区博多駅前9-9-9 コーポ山田201"
PHONE = "080-9999-0000"
STAFF_NOTE = "山田様より 070-5555-6666 に折返し希望"
STAFF_REPLY = "山田花子様 ご連絡ありがとうございます"

SECRETS = [
    USER,
    USER.lower(),
    "山田",
    "090-1234-5678",
    "09012345678",
    "博多区1-2-3",
    "092-111-2222",
    "佐藤",
    "080-3333-4444",
    "赤坂7-7-7",
    "博多駅前9-9-9",
    "コーポ",
    PHONE,
    "08099990000",
    "070-5555-6666",
]


def _variants(secret: str) -> set[str]:
    """The secret as stored: verbatim, JSON-escaped (SQLite keeps JSON with \\uXXXX escapes)."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(v in text for v in _variants(s))]


def _field_texts(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


TEXTUAL = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
    models.FileField,
    models.GenericIPAddressField,
)


def _every_model_value(secrets: list[str]) -> dict[str, list[str]]:
    """Every char/text/JSON/binary/file field of every row of every model, through the ORM
    (so JSON is read decoded), then sessions decoded."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXTUAL)]
        if not fields:
            continue
        for row in model._base_manager.values_list("pk", *fields):
            for name, value in zip(["pk", *fields], row, strict=True):
                hit = _leaks(_field_texts(value), secrets)
                if hit:
                    found.setdefault(f"{model._meta.label}.{name}#{row[0]}", []).extend(hit)
    for session in SessionStore.get_model_class().objects.all():
        hit = _leaks(json.dumps(SessionStore().decode(session.session_data), ensure_ascii=False, default=str), secrets)
        if hit:
            found[f"session {session.session_key[:6]}…"] = hit
    return found


def _every_table_raw(secrets: list[str]) -> dict[str, list[str]]:
    """Tables the models do not cover (the database cache), read raw; cache values unpickled."""
    covered = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table in covered:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            rows = cursor.fetchall()
            text = json.dumps(rows, default=str, ensure_ascii=False)
            if table == getattr(django_settings, "CACHES", {}).get("default", {}).get("LOCATION"):
                for row in rows:
                    with contextlib.suppress(Exception):  # a value we cannot read is searched raw above
                        text += repr(pickle.loads(base64.b64decode(row[1])))  # noqa: S301 - our own cache
            hit = _leaks(text, secrets)
            if hit:
                found[table] = hit
    return found


def _broker_leaks(secrets: list[str]) -> list[str]:
    folder = getattr(django_settings, "CELERY_BROKER_DIR", None)
    if not folder or not folder.exists():
        return []
    return [str(p) for p in folder.rglob("*") if p.is_file() and _leaks(p.read_bytes().decode("utf-8", "replace"), secrets)]


def _public_answers(anonymous: Client, photo_urls: list[str], report_ids: list[str]) -> dict[str, bytes]:
    answers = {}
    for path in (
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open311/v2/requests.json?status=open,closed",
        "/open311/v2/requests.xml?status=open,closed",
        "/healthz",
        "/bulky/r/",
        "/bulky/r/bookings/",
        *[f"/open311/v2/requests/{rid}.json" for rid in report_ids],
        *[f"/open311/v2/requests/{rid}.xml" for rid in report_ids],
        *photo_urls,
    ):
        response = anonymous.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        answers[path] = body
    return answers


def _photo_urls(anonymous: Client) -> list[str]:
    urls = []
    for photo in ReportPhoto.objects.exclude(public_token=""):
        urls += [f"/roads/public/{photo.public_token}/full/", f"/roads/public/{photo.public_token}/thumb/"]
    body = json.loads(anonymous.get("/open311/v2/requests.json").content)
    urls += [re.sub(r"^https?://[^/]+", "", r["media_url"]) for r in body if r.get("media_url")]
    return urls


@pytest.fixture
def waste_staff(make_staff):
    return make_staff(roles.WASTE, full_name="廃棄 次郎")


def test_no_trace_of_a_resident_survives_every_period_and_every_beat_job(
    line_resident,
    line_emulator,
    road_setup,
    road_staff,
    bulky_setup,
    open_booking_page,
    waste_staff,
    approver,
    make_residents,
    settings,
    caplog,
    send_broadcast,
):
    caplog.set_level(logging.DEBUG)
    segments_load_demo()
    load_every_task_module()
    line_emulator.add_profile(USER, NAME)
    line_resident.answer_preferences(USER, age="30-34", area="hakata", interests=("bousai",))  # 受信設定 through the chat
    from portal.line.models import Resident

    resident = Resident.objects.get(line_user_id=USER)
    assert resident.display_name == NAME and resident.age_band == "30-34"

    # a road report with two photos (one with GPS), a typed place and a comment
    photos = [jpeg_bytes(exif_gps=(33.6, 130.41)), jpeg_bytes(size=(300, 200))]
    message_ids = report_by_chat(
        line_resident, USER, road_setup["pothole"], photos=photos, typed_place=TYPED_PLACE, comment=COMMENT
    )
    report = RoadReport.objects.get()
    assert report.address_text == TYPED_PLACE and report.comment == COMMENT
    # a follow-up on it through 通報状況
    line_resident.postback(USER, f"flow=road&action=followup&ref={report.reference}")
    line_resident.text(USER, FOLLOW_UP)

    # staff: view, note, reply, publish with a staff-written text, publish and redact a photo
    road = CommitClient()
    road.force_login(road_staff)
    assert road.get(f"/roads/{report.pk}/").status_code == 200
    road.post(f"/roads/{report.pk}/note/", {"text": STAFF_NOTE})
    road.post(f"/roads/{report.pk}/reply/", {"message": STAFF_REPLY})
    assert any(STAFF_REPLY in t for t in line_emulator.received_texts(USER))
    road.post(f"/roads/{report.pk}/public-info/", {"public_description": "舗装の穴", "public_address": "博多区内の市道"})
    road.post(f"/roads/{report.pk}/privacy/", {"publish": "1"})
    photos = list(ReportPhoto.objects.filter(report=report, kind=ReportPhoto.Kind.RESIDENT, state=ReportPhoto.State.READY))
    assert len(photos) == 2
    road.post(f"/roads/photos/{photos[0].pk}/edit/", {"op": "redact", "x": 10, "y": 10, "w": 30, "h": 30})
    road.post(f"/roads/photos/{photos[0].pk}/edit/", {"op": "publish"})
    road.post(f"/roads/{report.pk}/status/", {"status": "in_progress"})
    road.post(f"/roads/{report.pk}/status/", {"status": "done"})
    report.refresh_from_db()
    assert report.status == "done" and report.is_published, report.status

    anonymous = Client()
    photo_urls = _photo_urls(anonymous)
    assert photo_urls and anonymous.get(photo_urls[0]).status_code == 200
    report_ids = [report.reference]
    before = _public_answers(anonymous, photo_urls, report_ids)
    leaks = {path: _leaks(body.decode("utf-8", "replace"), SECRETS) for path, body in before.items()}
    assert not {p: s for p, s in leaks.items() if s}, leaks  # public answers never carried it

    # a bulky booking with address and phone; staff view, note and approve it through the API
    book_a_chair(open_booking_page, USER, bulky_setup.hakata, bulky_setup.chair, address=ADDRESS, phone=PHONE)
    booking = Booking.objects.get()
    assert booking.address == ADDRESS
    waste = CommitClient()
    waste.force_login(waste_staff)
    assert ADDRESS in waste.get(f"/bulky/api/bookings/{booking.pk}/").content.decode()
    assert waste.post(f"/bulky/api/bookings/{booking.pk}/note/", {"note": STAFF_NOTE}).status_code == 200
    assert waste.post(f"/bulky/api/bookings/{booking.pk}/approve/").status_code == 200
    assert waste.get(f"/bulky/bookings/{booking.pk}/").status_code == 200

    # a broadcast reaches them
    make_residents(60, area=resident.area)
    send_broadcast(areas=[resident.area])
    assert any("お知らせです" in t for t in line_emulator.received_texts(USER))

    # another resident (who stays a friend) abandons a report: the typed place waits in the
    # conversation, and their comment on a second try too
    line_resident.follow(OTHER)
    start_to_photos(line_resident, OTHER, road_setup["pothole"])
    message_ids.append(line_resident.image(OTHER, body=jpeg_bytes(exif_gps=(33.58, 130.39))))
    line_resident.postback(OTHER, pb("photos", "next"))
    line_resident.postback(OTHER, pb("place", "address"))
    line_resident.text(OTHER, ABANDONED)
    from portal.line.models import Conversation

    assert "赤坂7-7-7" in json.dumps(list(Conversation.objects.values_list("data", flat=True)), ensure_ascii=False)
    secrets = SECRETS + [str(m) for m in message_ids]
    # the resident leaves
    line_resident.unfollow(USER)

    assert resident_files(settings), "the photos' originals and copies are on disk"
    stored = _every_model_value(secrets)
    assert any(USER in s for s in stored.values()) and any("コーポ" in s for s in stored.values()), stored

    # the clock moves past each period in turn, and every beat job runs each time
    start = timezone.now()
    collection = dt.datetime.combine(booking.collection_date, dt.time(23, 59), tzinfo=dt.UTC)
    periods = {store.key: store.period_days() for store in retention.stores()}
    due_dates = sorted(
        {start + dt.timedelta(days=days, hours=2) for days in periods.values()}
        | {collection + dt.timedelta(days=periods["bulky.bookings"], hours=2)}
    )
    for when in due_dates:
        with time_machine.travel(when, tick=False):
            run_every_beat_job()
    with time_machine.travel(due_dates[-1] + dt.timedelta(days=1), tick=False):
        run_every_beat_job()  # and once more: every purge is idempotent
        after = _public_answers(anonymous, photo_urls, report_ids)

    assert not _every_model_value(secrets), _every_model_value(secrets)
    assert not _every_table_raw(secrets), _every_table_raw(secrets)
    assert not resident_files(settings), resident_files(settings)
    assert not _broker_leaks(secrets)
    public = {path: _leaks(body.decode("utf-8", "replace"), secrets) for path, body in after.items()}
    assert not {p: s for p, s in public.items() if s}, public
    for url in photo_urls:
        assert anonymous.get(url).status_code == 404, url  # the purged photos are gone from the public too
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert not _leaks(logged, [USER, "090-1234-5678", PHONE, "070-5555-6666"]), "personal data in a log line"
