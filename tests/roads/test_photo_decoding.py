"""Residents' photos are decoded within a memory bound (pixel limits on the header, JPEGs
decoded reduced), and MPO photos (multi-picture JPEGs from phone cameras) are accepted as
their first frame."""

import io
import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from PIL import Image

from intake.roads.models import ReportPhoto
from tests.fixtures.images import bilevel_png, mpo_bytes

from .helpers import start_to_photos

USER = "U" + "7" * 32
BOMB = (7300, 5440)  # 39.7 MP

# Peak memory of checking a photo and making its copies, in a fresh interpreter (Pillow's
# pixel buffers are C allocations: only the process's peak RSS, VmHWM, sees them).
_MEASURE = r"""
import json, sys
import django
django.setup()
from intake.roads import photos

def status_kb(field):  # this process image only (ru_maxrss would carry the parent's peak)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

data = open(sys.argv[1], "rb").read()
before_kb = status_kb("VmRSS")
try:
    photos.check_image(data)
    photos.derived_copies(data)
    outcome = "accepted"
except photos.PhotoRejected as exc:
    outcome = exc.reason
print(json.dumps({"outcome": outcome, "extra_mb": (status_kb("VmHWM") - before_kb) / 1024}))
"""


def _cost(tmp_path: Path, data: bytes) -> dict:
    path = tmp_path / "photo"
    path.write_bytes(data)
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.test", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_tiny_png_of_40_megapixels_is_refused_before_decoding(tmp_path):
    bomb = bilevel_png(*BOMB)
    assert len(bomb) < 5000
    cost = _cost(tmp_path, bomb)
    assert cost["outcome"] == "too_many_pixels"
    assert cost["extra_mb"] < 16, cost  # was +227 MB: decoded, converted to RGB, resized


def test_a_big_jpeg_is_decoded_reduced(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (120, 120, 125)).save(out, format="JPEG", quality=85)  # 24 MP
    cost = _cost(tmp_path, out.getvalue())
    assert cost["outcome"] == "accepted"
    assert cost["extra_mb"] < 100, cost  # full decode: 96 MB for the pixels alone, 200+ in all


def test_pixel_bomb_through_the_chat_is_refused_and_nothing_stored(line_resident, line_emulator, road_setup):
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER, body=bilevel_png(*BOMB), content_type="image/png")
    photo = ReportPhoto.objects.get()
    assert photo.state == "rejected" and photo.reject_reason == "too_many_pixels"
    assert photo.original_path == "" and photo.display_path == ""
    assert any("画素数が多すぎます" in t for t in line_emulator.received_texts(USER))


def test_mpo_photo_is_accepted_as_its_first_frame(line_resident, line_emulator, road_setup, road_client):
    body = mpo_bytes([(200, 30, 30), (30, 30, 200)], size=(640, 480))
    assert Image.open(io.BytesIO(body)).format == "MPO"
    start_to_photos(line_resident, USER, road_setup["pothole"])
    line_resident.image(USER, body=body, content_type="image/jpeg")
    photo = ReportPhoto.objects.get()
    assert photo.state == "ready", photo.reject_reason
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (640, 480)
    shown = b"".join(road_client.get(f"/roads/photos/{photo.pk}/full/").streaming_content)
    image = Image.open(io.BytesIO(shown))
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
    red, _green, blue = image.convert("RGB").getpixel((10, 10))
    assert red > 150 and blue < 80  # the first frame, not the second


def _phone_photo_12mp() -> bytes:
    """4000 × 3000 (a phone camera's 12 MP) with the EXIF a phone writes: orientation 6, GPS."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (33.0, 35.0, 24.5), 3: "E", 4: (130.0, 24.0, 6.5)})
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 60)).save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def test_a_12_megapixel_photo_never_gets_a_full_size_pixel_buffer(tmp_path):
    cost = _cost(tmp_path, _phone_photo_12mp())
    assert cost["outcome"] == "accepted"
    # One full-size RGB buffer alone is 48 MB (Pillow keeps RGB in 4 bytes a pixel); decoded
    # at 1/2 and made upright at display size, the whole of check + copies stays far below.
    assert cost["extra_mb"] < 40, cost


def test_a_12_megapixel_photo_gives_an_upright_exif_free_display_copy_and_thumbnail():
    from intake.roads import photos

    body = _phone_photo_12mp()
    assert photos.gps_position(body) is not None  # the original keeps it (private)
    display, thumb = photos.derived_copies(body)
    for data, longest in ((display, (photos.DISPLAY_MIN_SIDE, photos.DISPLAY_MAX_SIDE)), (thumb, (photos.THUMB_SIDE,) * 2)):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and not image.getexif() and b"Exif" not in data and "exif" not in image.info
        width, height = image.size
        assert width < height  # orientation 6 applied: the 4000 × 3000 original shows upright
        assert longest[0] <= height <= longest[1] and abs(width / height - 0.75) < 0.01
