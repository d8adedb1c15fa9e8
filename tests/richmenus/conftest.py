"""Fixtures of the rich-menu tests: images, a menu built through the services."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from portal.context import AuditContext


def png(size: tuple[int, int] = (2500, 843), *, mode: str = "RGB", **info: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 100, 170) if mode == "RGB" else 0).save(out, format="PNG", **info)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (2500, 843), *, exif: bytes | None = None, quality: int = 85) -> bytes:
    out = io.BytesIO()
    kwargs: dict = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    Image.new("RGB", size, (200, 60, 40)).save(out, format="JPEG", **kwargs)
    return out.getvalue()


def two_areas(width: int = 2500, height: int = 843) -> list[dict]:
    half = width // 2
    return [
        {"x": 0, "y": 0, "width": half, "height": height, "label": "道路の通報", "kind": "flow", "flow": "road"},
        {"x": half, "y": 0, "width": width - half, "height": height, "label": "市のサイト", "kind": "uri",
         "uri": "https://www.city.example.jp/"},
    ]  # fmt: skip


@pytest.fixture
def ctx_of() -> Callable[..., AuditContext]:
    return lambda user: AuditContext(actor=user, ip="127.0.0.1", base_url="https://portal.example.jp/")


@pytest.fixture
def make_menu(author, ctx_of):
    """``make_menu(to="registered"|"default"|"disaster", areas=…)`` through the services."""
    from broadcasts.richmenus import services

    def make(*, name: str = "通常メニュー", to: str = "draft", areas: list[dict] | None = None, by=None, approver_user=None):
        menu = services.richmenu_create(ctx=ctx_of(by or author), name=name, chat_bar_text="メニュー", image=png(),
                                        areas=two_areas() if areas is None else areas)  # fmt: skip
        if to in ("registered", "default", "disaster"):
            menu = services.richmenu_register(menu, ctx=ctx_of(by or author))
        if to == "default":
            menu = services.richmenu_set_default(menu, ctx=ctx_of(approver_user or by or author))
        if to == "disaster":
            menu = services.richmenu_mark_disaster(menu, ctx=ctx_of(approver_user or by or author))
        return menu

    return make
