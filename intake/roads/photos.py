"""Image checks and derived copies for residents' photos (Pillow). No database here.

Residents' originals are kept untouched in PRIVATE_MEDIA_ROOT; staff and the public only ever
get a re-encoded, orientation-corrected JPEG that carries no EXIF (no GPS, no camera data).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageOps

from portal import images
from portal.images import HEIF_SUPPORTED

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = images.DRAFT_MAX_PIXELS  # JPEG (decoded reduced); other formats: images.FULL_DECODE_MAX_PIXELS
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}  # JPEG includes MPO (first frame)
if HEIF_SUPPORTED:
    ALLOWED_FORMATS["HEIF"] = "image/heic"
DISPLAY_MAX_SIDE = 2048
# A JPEG is decoded at the smallest libjpeg scale (1/2, 1/4, 1/8) that still gives this many
# px on its longer side, then scaled to DISPLAY_MAX_SIDE if it is larger: a 12 MP photo
# (4000 × 3000) decodes at 1/2 straight to a 2000 px display copy, with no full-size buffer.
DISPLAY_MIN_SIDE = 1920
THUMB_SIDE = 320

# Why a photo was refused -> what the resident is told.
REJECT_MESSAGES = {
    "too_large": _("写真のファイルが大きすぎます（10MBまで）。小さくして送り直してください。"),
    "too_many_pixels": _(
        "写真の画素数が多すぎます（JPEGは4000万画素まで、PNG・WebP・HEICは1260万画素まで）。縮小して送り直してください。"
    ),
    "bomb": _("写真を読み込めませんでした（画像サイズが不正です）。別の写真を送ってください。"),
    "unsupported": _("この形式の画像は受け付けられません。JPEG・PNG・WebP・HEICの写真を送ってください。"),
    "broken": _("写真が壊れているか、画像ではないファイルです。撮り直して送ってください。"),
    "unavailable": _("写真を取得できませんでした。お手数ですが、もう一度送ってください。"),
}


class PhotoRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CheckedImage:
    format: str
    content_type: str
    width: int
    height: int


def _open(body: bytes) -> Image.Image:
    """Header only; format and declared pixels checked (``portal.images``)."""
    try:
        return images.open_checked(body, formats=set(ALLOWED_FORMATS))
    except images.ImageRefused as exc:
        raise PhotoRejected(exc.reason) from exc


def _decode(body: bytes, longest: int) -> Image.Image:
    """The first frame, decoded within the memory bound (JPEG/MPO reduced to ``longest``)."""
    try:
        return images.decode(body, formats=set(ALLOWED_FORMATS), longest=longest)
    except images.ImageRefused as exc:
        raise PhotoRejected(exc.reason) from exc


def check_image(body: bytes) -> CheckedImage:
    """Raise PhotoRejected unless ``body`` is a whole JPEG (or MPO: its first frame)/PNG/
    WebP/HEIC within the limits. The declared content type is not trusted: the bytes decide.
    Pixel limits are checked on the header, before any decoding; JPEGs decode reduced."""
    if len(body) > MAX_BYTES:
        raise PhotoRejected("too_large")
    image = _open(body)
    width, height = image.size
    name = images.format_of(image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.verify()
    except Exception as exc:
        raise PhotoRejected("broken") from exc
    _decode(body, THUMB_SIDE)  # truncated or corrupt data fails here (a JPEG decodes at 1/8 for this)
    return CheckedImage(format=name, content_type=ALLOWED_FORMATS[name], width=width, height=height)


def _ratio(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1]) if value[1] else 0.0
    return float(value)


def gps_position(body: bytes) -> tuple[float, float] | None:
    """The GPS position in the original's EXIF, if any (decimal degrees)."""
    try:
        exif = _open(body).getexif()  # header only: no pixels decoded
        gps = exif.get_ifd(0x8825)
    except Exception:  # noqa: BLE001
        return None
    try:
        lat_ref, lat, lng_ref, lng = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat and lng):
            return None
        latitude = _ratio(lat[0]) + _ratio(lat[1]) / 60 + _ratio(lat[2]) / 3600
        longitude = _ratio(lng[0]) + _ratio(lng[1]) / 60 + _ratio(lng[2]) / 3600
        if str(lat_ref).upper().startswith("S"):
            latitude = -latitude
        if str(lng_ref).upper().startswith("W"):
            longitude = -longitude
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None
        return round(latitude, 7), round(longitude, 7)
    except Exception:  # noqa: BLE001
        return None


def derived_copies(body: bytes, redactions: list | None = None) -> tuple[bytes, bytes]:
    """(display JPEG, thumbnail JPEG): orientation applied, black rectangles drawn over
    ``redactions`` ([x, y, w, h] as fractions of the upright image), no metadata at all.

    Cost (bench/photos.py): a JPEG is decoded reduced (``DISPLAY_MIN_SIDE``), scaled to the
    display size before it is turned upright and redacted (turning a quarter of the pixels),
    and the thumbnail is made from the display copy in place: a 12 MP photo never has a
    full-size pixel buffer."""
    image = _decode(body, DISPLAY_MIN_SIDE)
    if image.mode != "RGB":
        image = image.convert("RGB")
    # The box is square, so scaling before turning gives the same size; EXIF stays attached.
    image.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE))
    ImageOps.exif_transpose(image, in_place=True)
    if redactions:
        draw = ImageDraw.Draw(image)
        w, h = image.size
        for x, y, rw, rh in redactions:
            draw.rectangle([int(x * w), int(y * h), int((x + rw) * w), int((y + rh) * h)], fill=(0, 0, 0))
    # A fresh image holds pixels only: nothing of the original's info/EXIF/ICC goes along.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    del image
    display = io.BytesIO()
    clean.save(display, format="JPEG", quality=85, optimize=True)
    clean.thumbnail((THUMB_SIDE, THUMB_SIDE))  # the display copy is written: reuse its pixels
    thumb = io.BytesIO()
    clean.save(thumb, format="JPEG", quality=80)
    return display.getvalue(), thumb.getvalue()


def private_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def write_private(relative: str, data: bytes) -> str:
    path = private_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return relative


def read_private(relative: str) -> bytes:
    return (private_root() / relative).read_bytes()


def private_path(relative: str) -> Path:
    path = (private_root() / relative).resolve()
    if private_root().resolve() not in path.parents:
        raise ValueError("path outside private media")
    return path


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
