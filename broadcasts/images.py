"""Image checks and conversion for broadcast bubbles (Pillow): a real image, within size
limits, decompression-bomb safe, re-encoded as JPEG in LINE's sizes with EXIF dropped."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from portal import images
from portal.errors import DomainError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Pixel limits and the bounded decode (JPEG/MPO reduced while decoding, other formats refused
# above 12.6 MP before decoding) live in portal/images.py.
ORIGINAL_MAX = 1024  # LINE: originalContentUrl ≤ 10 MB; we keep it small and fast
PREVIEW_MAX = 240
ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}  # JPEG includes MPO (phone cameras): its first frame


_REFUSED = {
    "unsupported": lambda: _("JPEG・PNG・GIF・WebPの画像を選んでください。"),
    "too_many_pixels": lambda: _("画像の画素数が大きすぎます。"),
    "bomb": lambda: _("画像の画素数が大きすぎます。"),
    "broken": lambda: _("画像として読み込めませんでした。"),
}


@dataclass
class Converted:
    original: bytes
    preview: bytes
    width: int
    height: int


def _jpeg(image: Image.Image, longest: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh RGB image carries no EXIF/XMP/ICC from the upload.
    clean = Image.new("RGB", copy.size, (255, 255, 255))
    clean.paste(copy, mask=copy.getchannel("A") if copy.mode == "RGBA" else None)
    clean.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), clean.width, clean.height


def convert(data: bytes) -> Converted:
    if not data:
        raise DomainError(_("画像ファイルが空です。"), code="image_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_("画像は10MB以下にしてください。"), code="image_too_large")
    try:
        image = images.open_checked(data, formats=ALLOWED_FORMATS)
        image.verify()
        image = images.decode(data, formats=ALLOWED_FORMATS, longest=ORIGINAL_MAX)
        image = ImageOps.exif_transpose(image)  # keep the orientation, then drop EXIF
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
        original, w, h = _jpeg(image, ORIGINAL_MAX)
        preview, _w, _h = _jpeg(image, PREVIEW_MAX)
    except images.ImageRefused as exc:
        raise DomainError(_REFUSED.get(exc.reason, _REFUSED["broken"])(), code="image_refused") from None
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for broken data (verify, convert)
        raise DomainError(_("画像として読み込めませんでした。"), code="image_broken") from None
    return Converted(original=original, preview=preview, width=w, height=h)
