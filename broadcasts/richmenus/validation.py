"""LINE's rules for a rich menu, told in staff's words: the image (JPEG or PNG, 800–2,500 px
wide, at least 250 px high, width/height ≥ 1.45, ≤ 1 MB) and the tap areas (1–20, inside the
image, not overlapping, each with an action LINE takes). ``portal.line.richmenus`` holds the
figures; this module raises ``DomainError`` with every problem found."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from PIL import Image

from portal.errors import DomainError
from portal.images import ImageRefused, format_of, open_checked
from portal.line import richmenus as line

AREA_KINDS = ("message", "flow", "uri", "switch")
ALIAS_RE = re.compile(line.ALIAS_PATTERN)


@dataclass(frozen=True)
class CheckedImage:
    content: bytes  # re-encoded: pixels only, no metadata
    content_type: str
    width: int
    height: int


def _refuse(messages: list[str], code: str) -> DomainError:
    return DomainError(" ".join(messages), code=code, messages=messages)


def image_check(data: bytes) -> CheckedImage:
    """The upload as LINE will take it, or ``DomainError`` naming each rule it breaks.
    The image is decoded within the portal's memory bound and saved again (EXIF, ICC,
    text chunks and comments dropped); the re-encoded file must still be ≤ 1 MB."""
    if not data:
        raise _refuse([_("画像を選んでください。")], "image_missing")
    try:
        image = open_checked(data, formats={"JPEG", "PNG"})
    except ImageRefused as exc:
        if exc.reason == "unsupported":
            raise _refuse([_("画像はJPEGかPNGにしてください。")], "image_type") from None
        raise _refuse([_("画像を読み取れませんでした。別の画像を選んでください。")], "image_broken") from None
    kind = format_of(image)
    width, height = image.size
    problems: list[str] = []
    if not (line.WIDTH_MIN <= width <= line.WIDTH_MAX):
        problems.append(
            _("画像の幅は%(min)s〜%(max)sピクセルにしてください（この画像は%(width)sピクセル）。")
            % {"min": f"{line.WIDTH_MIN:,}", "max": f"{line.WIDTH_MAX:,}", "width": f"{width:,}"}
        )
    if height < line.HEIGHT_MIN:
        problems.append(
            _("画像の高さは%(min)sピクセル以上にしてください（この画像は%(height)sピクセル）。")
            % {"min": line.HEIGHT_MIN, "height": f"{height:,}"}
        )
    if height and width / height < line.ASPECT_MIN:
        problems.append(
            _("画像は横長にしてください（幅÷高さが%(min)s以上。この画像は%(ratio).2f）。")
            % {"min": line.ASPECT_MIN, "ratio": width / height}
        )
    if len(data) > line.IMAGE_MAX_BYTES:
        problems.append(_("画像のファイルサイズは1MB以下にしてください。"))
    if problems:
        raise _refuse(problems, "image_rules")
    try:
        image.load()
        out = io.BytesIO()
        if kind == "PNG":
            clean = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            clean.save(out, format="PNG", optimize=True)
        else:
            clean = image.convert("RGB")
            clean.save(out, format="JPEG", quality=90, optimize=True)
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for broken data
        raise _refuse([_("画像を読み取れませんでした。別の画像を選んでください。")], "image_broken") from None
    content = out.getvalue()
    if len(content) > line.IMAGE_MAX_BYTES:
        raise _refuse([_("画像のファイルサイズは1MB以下にしてください。")], "image_rules")
    return CheckedImage(content=content, content_type="image/png" if kind == "PNG" else "image/jpeg", width=width, height=height)


def text_rules(*, name: str, chat_bar_text: str) -> list[str]:
    problems = []
    if not name.strip():
        problems.append(_("メニューの名前を入れてください。"))
    elif len(name) > line.NAME_MAX:
        problems.append(_("メニューの名前は%(max)s文字以内にしてください。") % {"max": line.NAME_MAX})
    if not chat_bar_text.strip():
        problems.append(_("メニューバーの文字を入れてください。"))
    elif len(chat_bar_text) > line.CHAT_BAR_MAX:
        problems.append(_("メニューバーの文字は%(max)s文字以内にしてください。") % {"max": line.CHAT_BAR_MAX})
    return problems


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def areas_clean(raw: object, *, width: int, height: int, menus_by_pk: dict[int, str] | None = None) -> list[dict]:
    """The tap areas as stored, or ``DomainError`` listing each problem by area number.
    ``menus_by_pk``: menus a tab area may switch to (pk → name)."""
    if not isinstance(raw, list):
        raise _refuse([_("タップ領域を読み取れませんでした。")], "areas_invalid")
    problems: list[str] = []
    if len(raw) > line.AREAS_MAX:
        problems.append(_("タップ領域は%(max)s個までです。") % {"max": line.AREAS_MAX})
    clean: list[dict] = []
    for number, area in enumerate(raw[: line.AREAS_MAX], start=1):
        where = _("領域%(n)s") % {"n": number}
        if not isinstance(area, dict):
            problems.append(_("%(where)s: 読み取れませんでした。") % {"where": where})
            continue
        x, y, w, h = (_int(area.get(key)) for key in ("x", "y", "width", "height"))
        if None in (x, y, w, h):
            problems.append(_("%(where)s: 位置と大きさを数字で入れてください。") % {"where": where})
            continue
        assert x is not None and y is not None and w is not None and h is not None
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > width or y + h > height:
            problems.append(
                _("%(where)s: 画像の中に収めてください（画像は幅%(width)s×高さ%(height)sピクセル）。")
                % {"where": where, "width": width, "height": height}
            )
        label = str(area.get("label") or "").strip()
        if len(label) > line.ACTION_LABEL_MAX:
            problems.append(
                _("%(where)s: 名前は%(max)s文字以内にしてください。") % {"where": where, "max": line.ACTION_LABEL_MAX}
            )
        item: dict = {"x": x, "y": y, "width": w, "height": h, "label": label, "kind": area.get("kind")}
        problems += _action_rules(area, item, where, menus_by_pk or {})
        clean.append(item)
    for i, first in enumerate(clean):
        for j in range(i + 1, len(clean)):
            second = clean[j]
            if (
                first["x"] < second["x"] + second["width"]
                and second["x"] < first["x"] + first["width"]
                and first["y"] < second["y"] + second["height"]
                and second["y"] < first["y"] + first["height"]
            ):
                problems.append(
                    _("領域%(a)sと領域%(b)sが重なっています。重ならないようにしてください。") % {"a": i + 1, "b": j + 1}
                )
    if problems:
        raise _refuse(problems, "areas_invalid")
    return clean


def _action_rules(area: dict, item: dict, where: str, menus_by_pk: dict[int, str]) -> list[str]:
    kind = area.get("kind")
    if kind == "message":
        text = str(area.get("text") or "").strip()
        item["text"] = text
        if not text:
            return [_("%(where)s: 送る言葉を入れてください。") % {"where": where}]
        if len(text) > line.MESSAGE_TEXT_MAX:
            return [_("%(where)s: 送る言葉は%(max)s文字以内にしてください。") % {"where": where, "max": line.MESSAGE_TEXT_MAX}]
        return []
    if kind == "flow":
        key = str(area.get("flow") or "")
        item["flow"] = key
        if line.postback(key) is None:
            return [_("%(where)s: 始める手続きを選んでください。") % {"where": where}]
        return []
    if kind == "uri":
        uri = str(area.get("uri") or "").strip()
        item["uri"] = uri
        parts = urlsplit(uri)
        if parts.scheme != "https" or not parts.hostname or len(uri) > line.URI_MAX:
            return [_("%(where)s: リンク先は https:// で始まるアドレスにしてください。") % {"where": where}]
        return []
    if kind == "switch":
        target = _int(area.get("menu"))
        item["menu"] = target
        if target is None or target not in menus_by_pk:
            return [_("%(where)s: 切り替え先のメニューを選んでください。") % {"where": where}]
        return []
    return [_("%(where)s: タップしたときの動作を選んでください。") % {"where": where}]


def line_object(*, name: str, chat_bar_text: str, width: int, height: int, areas: list[dict], aliases: dict[int, str],
                selected: bool = False) -> dict:  # fmt: skip
    """The rich menu object LINE takes (``aliases``: menu pk → its alias, for tab areas)."""
    return {
        "size": {"width": width, "height": height},
        "selected": selected,
        "name": name,
        "chatBarText": chat_bar_text,
        "areas": [
            {"bounds": {k: area[k] for k in ("x", "y", "width", "height")}, "action": _line_action(area, aliases)}
            for area in areas
        ],
    }


def _line_action(area: dict, aliases: dict[int, str]) -> dict:
    label = {"label": area["label"]} if area.get("label") else {}
    kind = area["kind"]
    if kind == "message":
        return {"type": "message", "text": area["text"], **label}
    if kind == "flow":
        entry = line.postback(area["flow"])
        if entry is None:
            raise DomainError(_("タップ領域の手続きが見つかりません。選び直してください。"), code="flow_missing")
        action = {"type": "postback", "data": entry.data, **label}
        if entry.display_text:
            action["displayText"] = str(entry.display_text)
        return action
    if kind == "uri":
        return {"type": "uri", "uri": area["uri"], **label}
    alias = aliases.get(area["menu"])
    if not alias:
        raise DomainError(_("切り替え先のメニューをLINEに登録してから登録してください。"), code="switch_target_unregistered")
    return {"type": "richmenuswitch", "richMenuAliasId": alias, "data": f"richmenu={alias}", **label}


def image_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.size
