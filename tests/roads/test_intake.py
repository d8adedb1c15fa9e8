"""Residents file road-damage reports through the signed webhook (emulated LINE)."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from intake.roads.models import ReportPhoto, RoadReport
from portal.line.models import Conversation
from tests.fixtures.roads import jpeg_bytes

from .helpers import big_bilevel_png, finish_with_location, gif_bytes, pb, png_with_size, start_to_photos

USER = "U" + "1" * 32


def texts(line_emulator, user=USER) -> list[str]:
    return line_emulator.received_texts(user)


def test_resident_files_report_with_two_photos_and_location(line_resident, line_emulator, road_setup, road_client, settings):
    line_resident.follow(USER)
    line_resident.text(USER, "通報")
    first = line_emulator.received(USER)[-1]
    labels = [item["action"]["label"] for item in first["quickReply"]["items"]]
    assert "道路の穴・陥没" in labels and "公園遊具" in labels

    line_resident.postback(USER, pb("category", road_setup["pothole"].pk))
    assert texts(line_emulator)[-1] == "今すぐ通行に危険がありますか？"
    line_resident.postback(USER, pb("danger", "no"))
    line_resident.image(USER, body=jpeg_bytes(exif_gps=(33.6, 130.41), orientation=6))
    assert "1/3" in texts(line_emulator)[-1]
    line_resident.image(USER, body=jpeg_bytes(size=(200, 100)))
    finish_with_location(line_resident, USER, comment="大きな穴です")

    report = RoadReport.objects.get()
    assert re.fullmatch(r"R-\d{4}-\d{6}", report.reference)
    assert report.reference in texts(line_emulator)[-1]
    assert (report.latitude, report.longitude) == (33.5902, 130.4017)
    assert report.comment == "大きな穴です"
    assert report.team == road_setup["pothole"].team
    photos = list(report.photos.all())
    assert [p.state for p in photos] == ["ready", "ready"]
    assert not Conversation.objects.filter(resident__line_user_id=USER).exists()

    # The queue lists it; the staff copy carries no EXIF and is upright.
    page = road_client.get("/roads/")
    assert report.reference in page.content.decode()
    assert road_client.get(f"/roads/{report.pk}/").status_code == 200
    response = road_client.get(f"/roads/photos/{photos[0].pk}/full/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    shown = Image.open(io.BytesIO(body))
    assert dict(shown.getexif()) == {}
    assert b"Exif" not in body and b"TestCam" not in body
    assert shown.size == (240, 320)  # orientation 6 applied to a 320x240 original
    thumb = b"".join(road_client.get(f"/roads/photos/{photos[0].pk}/thumb/").streaming_content)
    assert b"TestCam" not in thumb
    # The original is kept privately, untouched, and not under MEDIA_ROOT.
    original = (settings.PRIVATE_MEDIA_ROOT / photos[0].original_path).read_bytes()
    assert b"TestCam" in original
    assert not list(settings.MEDIA_ROOT.rglob("*")) if settings.MEDIA_ROOT.exists() else True
    # GPS from EXIF is kept as a hint only (a location was sent, so no hint is offered).
    assert photos[0].gps_latitude == pytest.approx(33.6, abs=1e-4)


def test_exif_gps_offered_as_hint_when_no_location(line_resident, line_emulator, road_setup, road_client):
    start_to_photos(line_resident, USER, road_setup["drain"])
    line_resident.image(USER, body=jpeg_bytes(exif_gps=(33.58, 130.39)))
    line_resident.postback(USER, pb("photos", "next"))
    line_resident.postback(USER, pb("place", "address"))
    line_resident.text(USER, "天神小学校の前")
    line_resident.postback(USER, pb("comment", "none"))
    line_resident.postback(USER, pb("confirm", "yes"))
    report = RoadReport.objects.get()
    assert report.latitude is None and report.address_text == "天神小学校の前"
    assert report.hint_latitude == pytest.approx(33.58, abs=1e-4)
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert "この位置を採用" in page
    road_client.post(f"/roads/{report.pk}/use-location-hint/")
    report.refresh_from_db()
    assert report.latitude == pytest.approx(33.58, abs=1e-4) and report.location_source == "exif"


def test_danger_report_gets_the_phone_number_then_is_filed_urgent_and_first(
    line_resident, line_emulator, road_setup, road_client, make_report
):
    older = make_report("pothole")  # filed earlier, not dangerous
    newer = make_report("drain")  # filed after the dangerous one below is started
    line_resident.text(USER, "通報")
    line_resident.postback(USER, pb("category", road_setup["fallen"].pk))
    line_resident.postback(USER, pb("danger", "yes"))
    answer = texts(line_emulator)[-2:]
    assert road_setup["fallen"].emergency_phone in answer[0]
    assert "続けて写真と場所" in answer[1]  # the chat offers to go on
    # The next photo is part of the report (no generic fallback), then the place.
    line_resident.image(USER, body=jpeg_bytes())
    assert "1/3" in texts(line_emulator)[-1]
    finish_with_location(line_resident, USER)
    report = RoadReport.objects.get(category=road_setup["fallen"])
    assert report.reference in texts(line_emulator)[-1]
    assert report.priority == 4 and report.get_priority_display() == "緊急"
    assert report.is_dangerous
    assert report.photos.count() == 1
    # First in the queue although newer reports exist (and the default sort is newest first).
    RoadReport.objects.filter(pk=newer.pk).update(created_at=report.created_at + timedelta(minutes=5))
    page = road_client.get("/roads/").content.decode()
    order = re.findall(r'data-ref="(R-\d{4}-\d{6})"', page)
    assert order[0] == report.reference and set(order) == {report.reference, older.reference, newer.reference}
    assert "危険" in page
    # Also first under another sort, and on the detail page it says 危険.
    order = re.findall(r'data-ref="(R-\d{4}-\d{6})"', road_client.get("/roads/?sort=old").content.decode())
    assert order[0] == report.reference
    assert 'id="report-danger"' in road_client.get(f"/roads/{report.pk}/").content.decode()


def test_danger_report_without_photos(line_resident, line_emulator, road_setup):
    line_resident.text(USER, "通報")
    line_resident.postback(USER, pb("category", road_setup["fallen"].pk))
    line_resident.postback(USER, pb("danger", "yes"))
    line_resident.postback(USER, pb("photos", "skip"))
    line_resident.location(USER, 33.5902, 130.4017)
    line_resident.postback(USER, pb("comment", "none"))
    assert "緊急" in texts(line_emulator)[-1]
    line_resident.postback(USER, pb("confirm", "yes"))
    report = RoadReport.objects.get()
    assert report.is_dangerous and report.priority == 4 and report.photos.count() == 0


def test_not_dangerous_report_is_normal_priority(line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER, body=jpeg_bytes())
    # "skip" is only offered (and accepted) for a dangerous place.
    line_resident.postback(USER, pb("photos", "skip"))
    assert Conversation.objects.get().step == "photos"
    finish_with_location(line_resident, USER)
    report = RoadReport.objects.get()
    assert not report.is_dangerous and report.priority == 2


def test_rich_menu_postback_starts_and_cancel_aborts(line_resident, line_emulator, road_setup):
    line_resident.postback(USER, "flow=road&action=start")
    assert Conversation.objects.get().flow == "road"
    line_resident.text(USER, "キャンセル")
    assert not Conversation.objects.exists()
    assert RoadReport.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "image/jpeg", "画像ではないファイル"),
        (png_with_size(100_000, 100_000), "image/png", "画像サイズが不正"),
        (big_bilevel_png(7000, 6000), "image/png", "4000万画素"),
        (b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024 + 10), "image/jpeg", "10MB"),
        (jpeg_bytes(size=(640, 480))[:600], "image/jpeg", "壊れているか"),
        (gif_bytes(), "image/gif", "JPEG・PNG・WebP"),
    ],
    ids=["fake-pdf", "bomb", "too-many-pixels", "oversize", "truncated", "gif"],
)
def test_bad_photo_is_refused_with_a_reason(line_resident, line_emulator, road_setup, body, content_type, expected):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER, body=body, content_type=content_type)
    photo = ReportPhoto.objects.get()
    assert photo.state == "rejected"
    assert any(expected in t for t in texts(line_emulator)), texts(line_emulator)
    # With only a refused photo, 「次へ」 asks for a photo again; no report, no stored file.
    line_resident.postback(USER, pb("photos", "next"))
    assert "受け付けられた写真がありません" in " ".join(texts(line_emulator)[-2:])
    assert Conversation.objects.get().step == "photos"
    assert photo.original_path == ""


def test_wrong_message_type_where_photo_expected_reprompts(line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.sticker(USER)
    assert any("スタンプではなく" in t for t in texts(line_emulator)[-2:])
    line_resident.text(USER, "写真はありません")
    assert any("写真を送ってください" in t for t in texts(line_emulator)[-2:])
    from portal.line.devtools import simulate

    video = simulate.image_event(USER)
    video["message"]["type"] = "video"
    line_resident.post_events([video])
    assert any("動画は受け付けていません" in t for t in texts(line_emulator)[-2:])
    assert Conversation.objects.get().step == "photos"
    assert ReportPhoto.objects.count() == 0


@pytest.mark.parametrize(
    ("minutes", "continues"),
    [(31, False), (25, True)],
    ids=["expired-after-30-minutes", "survives-within-30-minutes"],
)
def test_a_conversation_continues_for_30_minutes(minutes, continues, line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
        line_resident.image(USER)
    assert ReportPhoto.objects.count() == (1 if continues else 0)
    assert Conversation.objects.exists() == continues
    assert RoadReport.objects.count() == 0


def test_content_fetch_failure_keeps_photo_pending_then_recovers(line_resident, line_emulator, road_setup, road_client):
    line_emulator.set_faults(rate_500=1.0, endpoints=("content",))
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER)
    finish_with_location(line_resident, USER)
    report = RoadReport.objects.get()
    photo = report.photos.get()
    assert photo.state == "pending"
    assert "取得待ち" in road_client.get(f"/roads/{report.pk}/").content.decode()
    # The content endpoint works again: the beat job re-enqueues the pending photo.
    line_emulator.set_faults()
    from intake.roads import tasks

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert tasks.requeue_pending_photos.delay().get() == 1
    photo.refresh_from_db()
    assert photo.state == "ready"


def test_status_query_lists_resident_reports(line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER)
    finish_with_location(line_resident, USER)
    report = RoadReport.objects.get()
    line_resident.text(USER, "通報状況")
    last = texts(line_emulator)[-1]
    assert report.reference in last and "受け付けました" in last


def test_heic_photo_is_accepted_and_served_as_exif_free_jpeg(line_resident, line_emulator, road_setup, road_client):
    from PIL import Image as PILImage

    image = PILImage.new("RGB", (320, 240), (90, 90, 90))
    exif = PILImage.Exif()
    exif[0x010F] = "TestCam"
    out = io.BytesIO()
    image.save(out, format="HEIF", exif=exif.tobytes())
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER, body=out.getvalue(), content_type="image/heic")
    photo = ReportPhoto.objects.get()
    assert photo.state == "ready" and photo.content_type == "image/heic"
    body = b"".join(road_client.get(f"/roads/photos/{photo.pk}/full/").streaming_content)
    assert Image.open(io.BytesIO(body)).format == "JPEG" and b"TestCam" not in body


def test_photos_of_abandoned_conversations_are_deleted_after_a_day(
    line_resident, line_emulator, road_setup, settings, run_on_commit
):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER)
    line_resident.text(USER, "キャンセル")
    photo = ReportPhoto.objects.get()
    original = settings.PRIVATE_MEDIA_ROOT / photo.original_path
    assert original.exists()
    from portal.tasks import purge_personal_data  # the retention store roads.unsent_photos

    purge_personal_data.delay()
    assert ReportPhoto.objects.count() == 1  # not yet a day old
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)), run_on_commit():
        purge_personal_data.delay()
    assert ReportPhoto.objects.count() == 0
    assert not original.exists()


def test_two_photos_in_one_callback_both_count(line_resident, line_emulator, road_setup):
    from portal.line.devtools import simulate

    start_to_photos(line_resident, USER, road_setup["pothole"])
    events = []
    for _ in range(2):
        message_id = simulate.new_message_id()
        line_emulator.add_content(message_id)
        events.append(simulate.image_event(USER, message_id=message_id))
    line_resident.post_events(events)
    assert Conversation.objects.get().data["photo_ids"] == list(ReportPhoto.objects.order_by("pk").values_list("pk", flat=True))
    assert ReportPhoto.objects.filter(state="ready").count() == 2
