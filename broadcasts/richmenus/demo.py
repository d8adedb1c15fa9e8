"""Demo rich menus (idempotent): the normal menu (6 areas: 受信設定, 道路の通報, 粗大ごみ,
よくある質問, 市のサイト, 災害情報) as the default, and the disaster menu. The images are drawn
here with Pillow (a Japanese font when the machine has one, else shapes and plain labels).
They are put on LINE by the beat job ``richmenus.sync_line`` once the emulator runs."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 2500, 1686
FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansJP-Bold.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
]
ASCII_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# (label, plain label when no Japanese font, colour, area)
NORMAL = [
    ("受信設定", "SETTINGS", (0, 65, 145), {"kind": "flow", "flow": "prefs"}),
    ("道路の通報", "ROAD REPORT", (0, 110, 80), {"kind": "flow", "flow": "road"}),
    ("粗大ごみ", "BULKY WASTE", (150, 80, 0), {"kind": "flow", "flow": "bulky"}),
    ("よくある質問", "FAQ", (80, 60, 140), {"kind": "message", "text": "よくある質問"}),
    ("市のサイト", "CITY WEBSITE", (40, 90, 120), {"kind": "uri", "uri": "https://www.city.example.jp/"}),
    ("災害情報", "DISASTER INFO", (180, 20, 30), {"kind": "uri", "uri": "https://www.city.example.jp/bousai/"}),
]
DISASTER = [
    ("避難所を探す", "SHELTERS", (180, 20, 30), {"kind": "uri", "uri": "https://www.city.example.jp/bousai/hinanjo/"}),
    ("災害情報", "DISASTER INFO", (150, 30, 30), {"kind": "uri", "uri": "https://www.city.example.jp/bousai/"}),
    ("道路の通報", "ROAD REPORT", (0, 110, 80), {"kind": "flow", "flow": "road"}),
    ("受信設定", "SETTINGS", (0, 65, 145), {"kind": "flow", "flow": "prefs"}),
]


def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    if Path(ASCII_FONT).exists():
        return ImageFont.truetype(ASCII_FONT, size), False
    return ImageFont.load_default(), False


def _grid(count: int) -> list[tuple[int, int, int, int]]:
    columns = 3 if count > 4 else 2
    rows = (count + columns - 1) // columns
    w, h = WIDTH // columns, HEIGHT // rows
    cells = []
    for index in range(count):
        row, col = divmod(index, columns)
        width = WIDTH - col * w if col == columns - 1 else w
        height = HEIGHT - row * h if row == rows - 1 else h
        cells.append((col * w, row * h, width, height))
    return cells


def menu_image(items: list[tuple], *, banner: str = "") -> bytes:
    """A PNG of ``items`` in a grid, each a coloured tile with a pictogram and its label."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font, japanese = _font(110)
    for (label, plain, colour, _area), (x, y, w, h) in zip(items, _grid(len(items)), strict=True):
        draw.rectangle([x + 12, y + 12, x + w - 12, y + h - 12], fill=colour)
        cx, cy = x + w // 2, y + h // 2 - 90
        draw.ellipse([cx - 110, cy - 110, cx + 110, cy + 110], outline=(255, 255, 255), width=18)
        text = label if japanese else plain
        size, fitted = 110, font
        box = draw.textbbox((0, 0), text, font=fitted)
        while box[2] - box[0] > w - 100 and size > 40:  # shrink a long label to its tile
            size -= 8
            fitted, _jp = _font(size)
            box = draw.textbbox((0, 0), text, font=fitted)
        draw.text((cx - (box[2] - box[0]) // 2, y + h - 230), text, font=fitted, fill=(255, 255, 255))
    if banner:
        draw.rectangle([0, 0, WIDTH, 24], fill=(255, 220, 0))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _areas(items: list[tuple]) -> list[dict]:
    return [
        {"x": x, "y": y, "width": w, "height": h, "label": label, **area}
        for (label, _plain, _colour, area), (x, y, w, h) in zip(items, _grid(len(items)), strict=True)
    ]


def load_demo(say: Callable[[str], None]) -> None:
    from portal import demo

    from . import validation
    from .models import RichMenu
    from .services import richmenu_new

    staff = demo.staff_for(say, "richmenus", RichMenu, "pr@city.example.jp")
    if staff is None:
        return
    [author] = staff
    made = []
    for name, bar, items, status in (
        ("通常メニュー（6項目）", "メニュー", NORMAL, RichMenu.Status.DEFAULT),
        ("災害時メニュー", "災害時メニュー", DISASTER, RichMenu.Status.DISASTER),
    ):
        checked = validation.image_check(menu_image(items, banner="disaster" if items is DISASTER else ""))
        areas = validation.areas_clean(_areas(items), width=checked.width, height=checked.height)
        # Put on LINE by richmenus.sync_line (the emulator starts after the demo set-up).
        made.append(richmenu_new(name=name, chat_bar_text=bar, checked=checked, areas=areas, created_by=author, status=status))
    say("richmenus: 2 demo menus (通常メニュー as the default, 災害時メニュー), registered on LINE by the beat job")
