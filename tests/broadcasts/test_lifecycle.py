"""Compose, approval life cycle, audit, API schema, images."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEntry
from broadcasts import services, tasks
from broadcasts.models import Broadcast, BroadcastImage
from tests.fixtures.broadcasts import compose_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def area60(segment_world, make_residents):
    make_residents(60, area=segment_world.areas[0])
    return segment_world.areas[0]


def _jpeg_with_exif(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))  # fmt: skip
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "SecretSoftware 1.0"  # Software
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_full_life_cycle_through_pages_is_audited(client, author, approver, area60, line_emulator, run_on_commit):
    client.force_login(author)
    response = client.post(
        reverse("broadcasts:new"),
        compose_form(
            title="春のイベント",
            text="🌸 お花見イベントのお知らせ",
            areas=[area60],
            **{"bubble-1-type": "image", "bubble-1-image": io.BytesIO(_jpeg_with_exif())},
            action="save",
        ),
    )
    b = Broadcast.objects.get(title="春のイベント")
    assert response.status_code == 302 and b.status == Broadcast.Status.DRAFT
    assert [x.type for x in b.bubbles.all()] == ["text", "image"]
    client.post(reverse("broadcasts:submit", args=[b.pk]))
    client.force_login(approver)
    client.post(reverse("broadcasts:return", args=[b.pk]), {"comment": "画像を差し替えてください"})
    b.refresh_from_db()
    assert b.status == Broadcast.Status.RETURNED
    client.force_login(author)
    assert "画像を差し替えてください" in client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    client.post(reverse("broadcasts:submit", args=[b.pk]))
    client.force_login(approver)
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert "承認されると、すぐに配信が始まります" in page
    version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    # 承認後すぐに配信: the approval alone delivers it; nobody presses 今すぐ配信
    with run_on_commit():
        response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": version}, follow=True)
    assert "承認し、配信を開始しました" in response.content.decode()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE and b.approver == approver
    actions = list(
        AuditEntry.objects.filter(target_id=str(b.pk), target_type="broadcasts.broadcast").values_list("action", flat=True)
    )
    for action in ("created", "submitted", "returned", "approved", "started", "completed"):
        assert f"broadcast.{action}" in actions
    # the delivered image is a public JPEG of LINE's sizes, EXIF gone
    resident = line_emulator.requests("multicast")[0]["body"]["to"][0]  # the batch itself keeps hashes only
    image_msg = [m for m in line_emulator.received(resident) if m["type"] == "image"][0]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    assert base.startswith("https://")  # LINE (and the emulator) take HTTPS image URLs only
    assert image_msg["originalContentUrl"].startswith(f"{base}/broadcasts/media/")
    client.logout()
    for key, limit in (("originalContentUrl", 1024), ("previewImageUrl", 240)):
        path = image_msg[key].removeprefix(base)
        served = client.get(path)
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        img = Image.open(io.BytesIO(b"".join(served.streaming_content)))
        assert img.format == "JPEG" and max(img.size) <= limit
        assert not img.getexif()


def test_editing_an_approved_broadcast_returns_it_to_draft(client, author, approver, make_broadcast, area60):
    later = timezone.now() + timedelta(days=1)
    b = make_broadcast(areas=[area60], to="approved", approver=approver, scheduled_at=later)
    assert b.status == Broadcast.Status.SCHEDULED  # approved, waiting for its time
    client.force_login(author)
    client.post(
        reverse("broadcasts:edit", args=[b.pk]),
        compose_form(title="変更", text="新しい本文", areas=[area60]),
    )
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DRAFT and b.approver is None
    assert AuditEntry.objects.filter(action="broadcast.edited", target_id=str(b.pk), detail__previous_status="scheduled").exists()


def test_scheduled_broadcast_can_be_cancelled_until_it_starts(
    client, author, approver, make_broadcast, area60, line_emulator, time_machine
):
    b = make_broadcast(areas=[area60], to="approved", approver=approver, scheduled_at=timezone.now() + timedelta(hours=1))
    assert b.status == Broadcast.Status.SCHEDULED
    client.force_login(author)
    client.post(reverse("broadcasts:cancel", args=[b.pk]))
    b.refresh_from_db()
    assert b.status == Broadcast.Status.CANCELLED
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    assert tasks.start_due_scheduled.delay().get() == 0
    assert line_emulator.requests("multicast") == []


def test_beat_starts_due_scheduled_broadcast(
    author, approver, make_broadcast, area60, line_emulator, time_machine, run_on_commit
):
    b = make_broadcast(areas=[area60], to="approved", approver=approver, scheduled_at=timezone.now() + timedelta(hours=1))
    assert tasks.start_due_scheduled.delay().get() == 0
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    with run_on_commit():
        tasks.start_due_scheduled.delay()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert len(line_emulator.requests("multicast")) == 1
    with pytest.raises(Exception):  # noqa: B017 - started broadcasts are no longer cancellable
        services.broadcast_cancel(broadcast=b, actor=author)


def test_api_life_cycle(client, author, approver, area60, line_emulator, run_on_commit):
    client.force_login(author)
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    created = client.post(
        reverse("broadcasts:api_draft_create"),
        {
            "title": "API配信",
            "audience": "segment",
            "area_ids": [area60.pk],
            "scheduled_at": tomorrow,
            "bubbles": [{"type": "text", "text": "こんにちは"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.post(reverse("broadcasts:api_submit", args=[pk])).json()["status"] == "pending"
    assert client.post(reverse("broadcasts:api_approve", args=[pk])).status_code == 403  # author: no approve permission
    client.force_login(approver)
    assert (
        client.post(
            reverse("broadcasts:api_approve", args=[pk]),
            {"comment": "OK", "version": client.get(reverse("broadcasts:api_detail", args=[pk])).json()["version"]},
            content_type="application/json",
        ).json()["status"]
        == "scheduled"
    )
    client.force_login(author)
    when = (timezone.now() + timedelta(days=2)).isoformat()
    assert (
        client.post(
            reverse("broadcasts:api_schedule", args=[pk]), {"scheduled_at": when}, content_type="application/json"
        ).json()["status"]
        == "pending"  # a new time needs a new approval
    )
    assert client.post(reverse("broadcasts:api_cancel", args=[pk])).json()["status"] == "cancelled"
    listing = client.get(reverse("broadcasts:api_list")).json()
    assert listing["results"][0]["id"] == pk


def test_schema_documents_the_api(admin_client):
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/broadcasts/api/estimate/",
        "/broadcasts/api/drafts/",
        "/broadcasts/api/broadcasts/{id}/approve/",
        "/broadcasts/api/broadcasts/{id}/schedule/",
    ):
        assert path in schema


def test_bad_images_are_refused(client, author):
    client.force_login(author)
    for payload in (b"not an image", b"GIF89a" + b"\x00" * 20):
        response = client.post(
            reverse("broadcasts:new"), {"title": "x", "bubble-0-type": "image", "bubble-0-image": io.BytesIO(payload)}
        )
        assert response.status_code == 400
        assert "画像" in response.content.decode()
    # a decompression bomb: tiny file, huge canvas
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    response = client.post(
        reverse("broadcasts:new"), {"title": "x", "bubble-0-type": "image", "bubble-0-image": io.BytesIO(bomb.getvalue())}
    )
    assert response.status_code == 400 and "画素数" in response.content.decode()
    assert BroadcastImage.objects.count() == 0


def test_text_limits_and_bubble_count(client, author):
    client.force_login(author)
    too_long = {"title": "x", "bubble-0-type": "text", "bubble-0-text": "あ" * 5001}
    assert client.post(reverse("broadcasts:new"), too_long).status_code == 400
    # LINE counts UTF-16 units: 2,501 emoji are 5,002 and LINE would refuse the send
    emoji = {"title": "x", "bubble-0-type": "text", "bubble-0-text": "😀" * 2501}
    assert client.post(reverse("broadcasts:new"), emoji).status_code == 400
    ok = {"title": "x", "bubble-0-type": "text", "bubble-0-text": "😀" * 2500}
    assert client.post(reverse("broadcasts:new"), ok).status_code == 302


def test_pages_in_english(client, author):
    client.force_login(author)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("broadcasts:new"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Save draft" in page and "Submit for approval" in page


def test_demo_loader_is_idempotent(make_staff):
    from accounts import roles
    from broadcasts.demo import load_demo

    make_staff(roles.PR_AUTHOR, email="pr@city.example.jp")
    said: list[str] = []
    load_demo(said.append)
    load_demo(said.append)
    assert Broadcast.objects.count() == 2
    assert said[-1] == "broadcasts: already there"
