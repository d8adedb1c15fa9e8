"""The emulator's rich-menu endpoints are as strict as LINE (bad bodies → 400 in LINE's shape,
images of the wrong kind or size refused, limits enforced), reached through the LINE layer's
public module ``portal.line.richmenus``."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.line import richmenus
from portal.line.devtools.simulate import user_id_for
from portal.line.errors import LineRateLimited, LineRejected

pytestmark = pytest.mark.django_db


def _png(size: tuple[int, int] = (2500, 843)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


BOX = {"x": 0, "y": 0, "width": 10, "height": 10}


def _menu(**overrides: object) -> dict:
    menu = {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": "通常メニュー",
        "chatBarText": "メニュー",
        "areas": [
            {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "action": {"type": "message", "text": "よくある質問"}},
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "action": {"type": "postback", "data": "flow=road&action=start", "displayText": "通報"},
            },
        ],  # fmt: skip
    }
    menu.update(overrides)
    return menu


def _registered(menu: dict | None = None) -> str:
    menu_id = richmenus.create(menu=menu or _menu())
    richmenus.upload_image(rich_menu_id=menu_id, content=_png(), content_type="image/png")
    return menu_id


def _properties(exc: LineRejected) -> set[str]:
    return {d["property"] for d in exc.details}


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"size": {"width": 799, "height": 540}}, "size.width"),
        ({"size": {"width": 2501, "height": 1686}}, "size.width"),
        ({"size": {"width": 1200, "height": 249}}, "size.height"),
        ({"size": {"width": 1200, "height": 1000}}, "size"),  # width/height 1.2 < 1.45
        ({"chatBarText": "あ" * 15}, "chatBarText"),
        ({"chatBarText": ""}, "chatBarText"),
        ({"name": "x" * 301}, "name"),
        ({"selected": "yes"}, "selected"),
        ({"areas": [_menu()["areas"][0]] * 21}, "areas"),
        ({"areas": [{"bounds": {"x": 2000, "y": 0, "width": 600, "height": 100}, "action": {"type": "message", "text": "a"}}]},
         "areas[0].bounds"),
        ({"areas": [{"bounds": BOX, "action": {"type": "camera"}}]}, "areas[0].action.type"),
        ({"areas": [{"bounds": BOX, "action": {"type": "message"}}]}, "areas[0].action.text"),
        ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                     "action": {"type": "uri", "uri": "javascript:alert(1)"}}]}, "areas[0].action.uri"),
        ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                     "action": {"type": "richmenuswitch", "richMenuAliasId": "Bad Alias!", "data": "x"}}]},
         "areas[0].action.richMenuAliasId"),
        ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                     "action": {"type": "postback", "data": "d" * 301}}]}, "areas[0].action.data"),
    ],
)  # fmt: skip
def test_a_bad_rich_menu_object_is_refused_like_line(line_emulator, change, prop):
    for call in (richmenus.validate, richmenus.create):
        with pytest.raises(LineRejected) as caught:
            call(menu=_menu(**change))
        assert caught.value.status == 400
        assert prop in _properties(caught.value)
    assert line_emulator.richmenus.summary()["menus"] == []


def test_a_valid_menu_is_created_and_listed(line_emulator):
    richmenus.validate(menu=_menu())
    assert line_emulator.richmenus.summary()["menus"] == []  # validating creates nothing
    menu_id = richmenus.create(menu=_menu())
    assert richmenus.get(rich_menu_id=menu_id)["chatBarText"] == "メニュー"
    assert [m["richMenuId"] for m in richmenus.menus()] == [menu_id]


def test_the_image_must_be_the_menus_size_and_kind_and_is_uploaded_once(line_emulator):
    menu_id = richmenus.create(menu=_menu())
    with pytest.raises(LineRejected):
        richmenus.upload_image(rich_menu_id=menu_id, content=_png((2500, 1686)), content_type="image/png")
    with pytest.raises(LineRejected):  # a PNG called a JPEG
        richmenus.upload_image(rich_menu_id=menu_id, content=_png(), content_type="image/jpeg")
    with pytest.raises(LineRejected):  # not an image type LINE takes
        richmenus.upload_image(rich_menu_id=menu_id, content=_png(), content_type="image/gif")
    with pytest.raises(LineRejected):  # a menu with no image cannot be the default
        richmenus.set_default(rich_menu_id=menu_id)
    richmenus.upload_image(rich_menu_id=menu_id, content=_png(), content_type="image/png")
    with pytest.raises(LineRejected):
        richmenus.upload_image(rich_menu_id=menu_id, content=_png(), content_type="image/png")


def test_default_and_user_links_decide_what_a_user_sees(line_emulator):
    normal, other = _registered(), _registered()
    alice, bob = user_id_for("alice"), user_id_for("bob")
    assert richmenus.default_id() is None
    richmenus.set_default(rich_menu_id=normal)
    assert richmenus.default_id() == normal
    richmenus.link_user(user_id=alice, rich_menu_id=other)
    assert line_emulator.menu_for(alice) == other
    assert line_emulator.menu_for(bob) == normal
    richmenus.unlink_user(user_id=alice)
    assert line_emulator.menu_for(alice) == normal
    richmenus.cancel_default()
    assert line_emulator.menu_for(bob) is None


def test_bulk_link_takes_1_to_500_valid_user_ids(line_emulator):
    menu_id = _registered()
    users = [user_id_for(f"r{i}") for i in range(501)]
    with pytest.raises(LineRejected) as caught:
        richmenus.bulk_link(user_ids=users, rich_menu_id=menu_id)
    assert "userIds" in _properties(caught.value)
    with pytest.raises(LineRejected):
        richmenus.bulk_link(user_ids=["not-a-user"], rich_menu_id=menu_id)
    with pytest.raises(LineRejected):
        richmenus.bulk_unlink(user_ids=[])
    richmenus.bulk_link(user_ids=users[:500], rich_menu_id=menu_id)
    assert line_emulator.richmenus.summary()["linked_users"] == 500
    richmenus.bulk_unlink(user_ids=users[:500])
    assert line_emulator.richmenus.summary()["linked_users"] == 0


def test_bulk_link_is_rate_limited_like_line(line_emulator):
    menu_id = _registered()
    state = line_emulator.state
    import time

    with state.lock:
        for _ in range(3):
            state._rate_limited("richmenu_bulk_link", time.monotonic())
    # the emulator's window is full: LINE answers 429
    from portal.line import client

    with pytest.raises(LineRateLimited):
        client.richmenu_request("POST", "/v2/bot/richmenu/bulk/link", body={"richMenuId": menu_id, "userIds": [user_id_for("a")]})


def test_aliases_and_switch_actions(line_emulator):
    first, second = _registered(), _registered()
    with pytest.raises(LineRejected):
        richmenus.alias_create(alias_id="Not Valid", rich_menu_id=first)
    richmenus.alias_create(alias_id="menu-a", rich_menu_id=first)
    with pytest.raises(LineRejected):  # an alias ID is unique
        richmenus.alias_create(alias_id="menu-a", rich_menu_id=second)
    richmenus.alias_update(alias_id="menu-a", rich_menu_id=second)
    assert richmenus.aliases() == [{"richMenuAliasId": "menu-a", "richMenuId": second}]
    switch = {"bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
              "action": {"type": "richmenuswitch", "richMenuAliasId": "menu-a", "data": "switch=menu-a"}}  # fmt: skip
    richmenus.validate(menu=_menu(areas=[switch]))
    richmenus.alias_delete(alias_id="menu-a")
    assert richmenus.aliases() == []


def test_batch_control_replaces_every_link_and_reports_progress(line_emulator):
    first, second = _registered(), _registered()
    users = [user_id_for(f"b{i}") for i in range(3)]
    richmenus.bulk_link(user_ids=users, rich_menu_id=first)
    with pytest.raises(LineRejected):
        richmenus.batch_validate(operations=[{"type": "link", "from": first}])
    with pytest.raises(LineRejected):
        richmenus.batch_validate(operations=[{"type": "replace"}])
    request_id = richmenus.batch(operations=[{"type": "link", "from": first, "to": second}], resume_request_key="k-1")
    assert all(line_emulator.menu_for(u) == second for u in users)
    assert richmenus.batch_progress(request_id=request_id)["phase"] == "succeeded"


def test_deleting_a_menu_unlinks_its_users(line_emulator):
    menu_id = _registered()
    richmenus.set_default(rich_menu_id=menu_id)
    richmenus.link_user(user_id=user_id_for("c"), rich_menu_id=menu_id)
    richmenus.delete(rich_menu_id=menu_id)
    assert line_emulator.menu_for(user_id_for("c")) is None
    with pytest.raises(LineRejected) as caught:
        richmenus.delete(rich_menu_id=menu_id)
    assert caught.value.status == 404


def test_how_long_bulk_requests_take_follows_the_bucket(settings):
    assert richmenus.bulk_requests(0) == 0
    assert richmenus.bulk_requests(500) == 1
    assert richmenus.bulk_requests(501) == 2
    # rate 2/s after a burst of 1: 361 requests take 180 s
    assert richmenus.seconds_for(bucket=richmenus.BUCKET_BULK_UNLINK, requests=361) == pytest.approx(180)
