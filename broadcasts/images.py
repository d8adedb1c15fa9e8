"""Image checks and conversion for broadcast bubbles (Pillow): a real image, within size
limits, decompression-bomb safe, re-encoded as JPEG in LINE's sizes with EXIF dropped."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # far above any photo a phone takes; refuses decompression bombs
ORIGINAL_MAX = 1024  # LINE: originalContentUrl ≤ 10 MB; we keep it small and fast
PREVIEW_MAX = 240
ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


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
        raise ValidationError(_("画像ファイルが空です。"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("画像は10MB以下にしてください。"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError(_("JPEG・PNG・GIF・WebPの画像を選んでください。"))
            width, height = probe.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise ValidationError(_("画像の画素数が大きすぎます。"))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the orientation, then drop EXIF
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            original, w, h = _jpeg(image, ORIGINAL_MAX)
            preview, _w, _h = _jpeg(image, PREVIEW_MAX)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("画像の画素数が大きすぎます。")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError(_("画像として読み込めませんでした。")) from None
    return Converted(original=original, preview=preview, width=w, height=h)
