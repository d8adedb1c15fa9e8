"""Rich-menu pages over HTTP: the builder's upload, the list's exact query count, the
disaster page's estimate and confirmation, the dashboard's banner, refusals by role."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import roles
from broadcasts.richmenus import services
from broadcasts.richmenus.models import DisasterSwitch, RichMenu
from tests.fixtures.commit import CommitClient
from tests.richmenus.conftest import png, two_areas

pytestmark = pytest.mark.django_db


def _client(user, cls=Client) -> Client:
    client = cls()
    client.force_login(user)
    return client


def test_the_builder_saves_a_draft_from_an_upload(author):
    client = _client(author)
    response = client.post(
        "/broadcasts/richmenus/new/",
        {"name": "新しいメニュー", "chat_bar_text": "メニュー", "areas": json.dumps(two_areas()),
         "image": SimpleUploadedFile("menu.png", png(), content_type="image/png")},
    )  # fmt: skip
    menu = RichMenu.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/broadcasts/richmenus/{menu.pk}/"
    assert menu.status == RichMenu.Status.DRAFT and len(menu.areas) == 2
    page = client.get(f"/broadcasts/richmenus/{menu.pk}/").content.decode()
    assert "道路の通報を始める" in page and "LINEに登録" in page


def test_the_builder_shows_each_refusal(author):
    client = _client(author)
    response = client.post(
        "/broadcasts/richmenus/new/",
        {"name": "x", "chat_bar_text": "メニュー", "areas": "[]",
         "image": SimpleUploadedFile("menu.png", png((1000, 1000)), content_type="image/png")},
    )  # fmt: skip
    assert response.status_code == 200 and "横長" in response.content.decode()
    assert not RichMenu.objects.exists()


def test_the_builder_names_the_flows_for_staff(author):
    response = _client(author).get("/broadcasts/richmenus/new/")
    labels = {f["key"]: f["label"] for f in response.context["flows"]}
    assert labels["road"] == "道路の通報" and labels["bulky"] == "粗大ごみ" and labels["prefs"] == "受信設定"
    assert "flow=road" not in response.content.decode()  # staff never see the postback codes


def test_the_list_page_has_a_fixed_number_of_queries(author, make_menu, assert_queries):
    client = _client(author)
    make_menu(name="一つ目")
    client.get("/broadcasts/richmenus/")  # warm the session
    with assert_queries(7):
        response = client.get("/broadcasts/richmenus/")
    assert response.status_code == 200
    for i in range(4):
        make_menu(name=f"追加{i}")
    with assert_queries(7):
        response = client.get("/broadcasts/richmenus/")
    assert response.content.decode().count("/broadcasts/richmenus/") >= 5


def test_the_list_api_has_a_fixed_number_of_queries(author, make_menu, assert_queries):
    client = _client(author)
    make_menu(name="一つ目")
    client.get("/broadcasts/richmenus/api/menus/")
    with assert_queries(7):  # session, user, roles, permissions ×2, the page's count, the page
        first = client.get("/broadcasts/richmenus/api/menus/")
    for i in range(3):
        make_menu(name=f"追加{i}")
    with assert_queries(7):
        more = client.get("/broadcasts/richmenus/api/menus/")
    assert first.json()["count"] == 1 and len(more.json()["results"]) == 4


def test_the_disaster_page_says_how_long_and_needs_confirmation(line_emulator, make_menu, approver, make_staff,
                                                              make_residents, segment_world, run_on_commit, ctx_of,
                                                              audit_actions):  # fmt: skip
    make_menu(name="通常", to="default", approver_user=approver)
    disaster = make_menu(name="災害時", to="disaster", approver_user=approver)
    kids = make_menu(name="子育て", to="registered")
    area = segment_world.areas[0]
    users = make_residents(700, area=area)
    with run_on_commit():
        services.segment_link_create(kids, ctx=ctx_of(approver), area_ids=[area.pk])
    admin = make_staff(roles.ADMIN)
    client = _client(admin, CommitClient)
    page = client.get("/broadcasts/richmenus/disaster/").content.decode()
    assert "1分ほどで全員の表示が切り替わります" in page and "一括リクエスト2回" in page
    client.post("/broadcasts/richmenus/disaster/switch/", {"direction": "on"})  # not confirmed
    assert not DisasterSwitch.objects.exists()
    client.post("/broadcasts/richmenus/disaster/switch/", {"direction": "on", "confirm": "on"})
    assert all(line_emulator.menu_for(u) == disaster.line_id for u in users)
    progress = client.get("/broadcasts/richmenus/disaster/progress.json").json()
    assert progress["percent"] == 100 and progress["status"] == "done"
    assert "災害時モードです" in client.get("/").content.decode()  # the dashboard's banner
    road = _client(make_staff(roles.ROAD))
    assert "災害時モードです" in road.get("/").content.decode()
    entry = audit_actions().index("richmenu.disaster_mode_on")
    assert entry >= 0
    client.post("/broadcasts/richmenus/disaster/switch/", {"direction": "off", "confirm": "on"})
    assert all(line_emulator.menu_for(u) == kids.line_id for u in users)
    assert "災害時モードです" not in client.get("/").content.decode()


def test_who_may_switch_disaster_mode(author, make_staff):
    for user in (author, make_staff(roles.AUDITOR), make_staff(roles.ROAD)):
        assert (
            _client(user).post("/broadcasts/richmenus/disaster/switch/", {"direction": "on", "confirm": "on"}).status_code == 403
        )
    assert not DisasterSwitch.objects.exists()


def test_an_author_cannot_set_the_default_and_an_approver_cannot_build(author, approver, make_menu, line_emulator):
    menu = make_menu(to="registered")
    assert _client(author).post(f"/broadcasts/richmenus/{menu.pk}/set-default/").status_code == 403
    assert _client(approver).get("/broadcasts/richmenus/new/").status_code == 403
    response = _client(approver).post(f"/broadcasts/richmenus/{menu.pk}/set-default/")
    assert response.status_code == 302
    menu.refresh_from_db()
    assert menu.status == RichMenu.Status.DEFAULT


def test_the_sync_job_puts_menus_back_on_line(line_emulator, make_menu, approver, make_residents):
    menu = make_menu(to="default", approver_user=approver)
    line_emulator.richmenus.reset()  # LINE lost it (an emulator restart, a deletion elsewhere)
    assert services.richmenus_sync_line() == 1
    menu.refresh_from_db()
    (user,) = make_residents(1)
    assert menu.line_id in line_emulator.richmenus.menus and line_emulator.menu_for(user) == menu.line_id
    assert services.richmenus_sync_line() == 0


def test_the_demo_menus_are_drawn_and_valid(make_staff):
    from broadcasts.richmenus.demo import load_demo

    make_staff(roles.PR_AUTHOR, email="pr@city.example.jp")
    said: list[str] = []
    load_demo(said.append)
    normal = RichMenu.objects.get(status=RichMenu.Status.DEFAULT)
    assert [a["label"] for a in normal.areas] == ["受信設定", "道路の通報", "粗大ごみ", "よくある質問", "市のサイト", "災害情報"]
    assert RichMenu.objects.filter(status=RichMenu.Status.DISASTER).exists()
    load_demo(said.append)
    assert RichMenu.objects.count() == 2
