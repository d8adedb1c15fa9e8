"""Helpers for roads tests: a resident walking through the 通報 flow."""

import io
import struct
import zlib

from intake.roads.models import Category


def pb(step: str, value) -> str:
    return f"flow=road&step={step}&value={value}"


def start_to_photos(line_resident, user: str, category: Category) -> None:
    line_resident.text(user, "通報")
    line_resident.postback(user, pb("category", category.pk))
    line_resident.postback(user, pb("danger", "no"))


def finish_with_location(line_resident, user: str, lat: float = 33.5902, lng: float = 130.4017, comment: str | None = None):
    line_resident.postback(user, pb("photos", "next"))
    line_resident.location(user, lat, lng, address="福岡市中央区天神1丁目")
    if comment:
        line_resident.text(user, comment)
    else:
        line_resident.postback(user, pb("comment", "none"))
    return line_resident.postback(user, pb("confirm", "yes"))


def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    # IHDR starts at byte 8: length(4) type(4) data(13) crc(4)
    ihdr = bytes(data[16:29])
    ihdr = struct.pack(">II", width, height) + ihdr[8:]
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def big_bilevel_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG")
    return out.getvalue()


def gif_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(out, format="GIF")
    return out.getvalue()
