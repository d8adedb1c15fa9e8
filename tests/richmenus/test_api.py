"""Rich menus through the API: the table's actions with the pages' permissions (register,
既定, deletion), the one error shape, and an action whose service returns another object
(a segment link) answered with the menu."""

from __future__ import annotations

import pytest
from django.test import Client

from broadcasts.richmenus.models import RichMenu, SegmentLink

pytestmark = pytest.mark.django_db
S = RichMenu.Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, menu, action, **data):
    return client.post(f"/broadcasts/richmenus/api/menus/{menu.pk}/{action}/", data, content_type="application/json")


def test_an_author_registers_a_draft_through_the_api(author, make_menu, line_emulator):
    menu = make_menu()

    response = post(_client(author), menu, "register")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == menu.pk and response.json()["status"] == S.REGISTERED
    menu.refresh_from_db()
    assert menu.status == S.REGISTERED and menu.line_id


def test_an_author_may_not_set_the_default_and_nothing_changes(author, approver, make_menu, line_emulator):
    menu = make_menu(to="registered")

    assert post(_client(author), menu, "set-default").status_code == 403
    menu.refresh_from_db()
    assert menu.status == S.REGISTERED

    assert post(_client(approver), menu, "set-default").json()["status"] == S.DEFAULT


def test_a_refused_transition_answers_409_with_the_one_error_shape(approver, make_menu, line_emulator):
    menu = make_menu()  # a draft: not on LINE yet

    response = post(_client(approver), menu, "set-default")

    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "code", "details"} and body["code"] == "invalid_state"
    menu.refresh_from_db()
    assert menu.status == S.DRAFT


def test_deleting_through_the_api_as_the_page_does(author, make_menu, line_emulator):
    menu = make_menu(to="registered")

    response = post(_client(author), menu, "delete")

    assert response.status_code == 200 and response.json()["status"] == S.DELETED
    menu.refresh_from_db()
    assert menu.status == S.DELETED
    default = make_menu(name="既定", to="default")
    refused = post(_client(author), default, "delete")
    assert refused.status_code == 409 and refused.json()["detail"] == ["既定・災害時用のメニューは削除できません。"]


def test_linking_a_segment_answers_with_the_menu(approver, make_menu, segment_world, line_emulator):
    make_menu(name="先に作ったメニュー")  # so the link's id is not the menu's
    make_menu(name="もう一つ")
    menu = make_menu(name="博多区向け", to="registered")

    response = post(_client(approver), menu, "link-segment", area_ids=[segment_world.areas[1].pk])

    assert response.status_code == 200, response.content
    assert response.json()["id"] == menu.pk and response.json()["name"] == "博多区向け"
    assert SegmentLink.objects.get().menu == menu
