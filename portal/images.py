"""Decoding images that come from outside (residents' photos, staff uploads) within a
memory bound: the header decides before any pixel is decoded.

Pixels cost memory, bytes do not: a 4.9 KB PNG can declare 40 million pixels. So

- JPEG (and MPO, the multi-picture JPEG many phone cameras write: its first frame is a
  normal JPEG) is decoded *reduced* with ``Image.draft``: libjpeg scales by 1/2, 1/4 or 1/8
  while decoding, so a 40 MP photo wanted at 2048 px costs about 1/16 of its full size;
- every other format (PNG, WebP, GIF, HEIF) has no reduced decode, so it is refused above
  ``FULL_DECODE_MAX_PIXELS`` (12.6 MP: a 12 MP phone photo, 4096 × 3072) before decoding.

Pillow's own decompression-bomb check stays on as a last line (its warning is an error).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

try:  # HEIC/HEIF (iPhone photos) through libheif; without it those are refused as unsupported.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover
    HEIF_SUPPORTED = False

DRAFT_MAX_PIXELS = 40_000_000  # JPEG/MPO as declared (decoded reduced)
FULL_DECODE_MAX_PIXELS = 12_600_000  # any format decoded at full size
DRAFT_FORMATS = {"JPEG", "MPO"}
# Pillow names a multi-picture JPEG "MPO"; it is a JPEG to everyone else.
FORMAT_ALIASES = {"MPO": "JPEG"}


class ImageRefused(Exception):
    """``reason``: ``unsupported`` | ``too_many_pixels`` | ``bomb`` | ``broken``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_of(image: Image.Image) -> str:
    """The format as the rest of the world names it (an MPO is a JPEG)."""
    return FORMAT_ALIASES.get(image.format or "", image.format or "")


def open_checked(data: bytes, *, formats: set[str]) -> Image.Image:
    """Open ``data`` (header only) and refuse it unless its format is one of ``formats``
    (names as ``format_of`` gives them) and its declared size can be decoded within the
    bound. Nothing is decoded yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused("bomb") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ImageRefused("broken") from exc
    if format_of(image) not in formats:
        raise ImageRefused("unsupported")
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRefused("broken")
    limit = DRAFT_MAX_PIXELS if image.format in DRAFT_FORMATS else FULL_DECODE_MAX_PIXELS
    if width * height > limit:
        raise ImageRefused("too_many_pixels")
    return image


def decode(data: bytes, *, formats: set[str], longest: int) -> Image.Image:
    """The first frame of ``data``, decoded (reduced where the format allows, never below
    ``longest`` px on its longer side), with its EXIF still attached for orientation.
    Truncated or corrupt data raises ``ImageRefused("broken")``."""
    image = open_checked(data, formats=formats)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if image.format in DRAFT_FORMATS:
                # The box has the image's aspect ratio and ``longest`` on its longer side;
                # libjpeg picks the largest 1/2^n scale that still covers it.
                width, height = image.size
                side = max(width, height)
                image.draft(None, (max(1, width * longest // side), max(1, height * longest // side)))
            image.load()  # truncated files fail here (LOAD_TRUNCATED_IMAGES stays False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("bomb") from exc
    except Exception as exc:
        raise ImageRefused("broken") from exc
    return image
