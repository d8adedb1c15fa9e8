"""Drop-downs say what an empty choice means (issue 12, walked as a newcomer): the road
report's 返信テンプレート/担当班/担当者/地域, the queue's bulk form and the waste desk's 地域
filters read 「使わない」「未割り当て」「未設定」「変更しない」「すべて」「選んでください」,
never Django's 「---------」."""

import re

import pytest
from django.test import Client

from accounts import roles

pytestmark = pytest.mark.django_db


def _select(page: str, name: str, *, nth: int = 0) -> str:
    return re.findall(rf'<select[^>]*name="{name}".*?</select>', page, flags=re.S)[nth]


def test_road_pages_name_the_empty_choice(make_report, road_client):
    from portal.line.models import Resident

    report = make_report(resident=Resident.objects.create(line_user_id="U" + "5" * 32))  # a reply form too
    detail = road_client.get(f"/roads/{report.pk}/").content.decode()
    queue = road_client.get("/roads/").content.decode()
    for page in (detail, queue):
        assert "---------" not in page
    assert "使わない" in _select(detail, "template") and "使わない" in _select(detail, "template", nth=1)
    assert "未割り当て" in _select(detail, "team") and "未割り当て" in _select(detail, "assignee")
    assert "未設定" in _select(detail, "area")
    bulk = queue[queue.index('id="bulk_action"') :]
    assert "変更しない" in _select(bulk, "team") and "選んでください" in _select(bulk, "status")


def test_bulky_pages_name_the_empty_choice(bulky_setup, make_staff):
    client = Client()
    client.force_login(make_staff(roles.WASTE))
    queue = client.get("/bulky/").content.decode()
    routes = client.get("/bulky/routes/").content.decode()
    assert "---------" not in queue and "---------" not in routes
    assert '<option value="" selected>すべて</option>' in _select(queue, "area")
    assert "選んでください" in _select(routes, "area")
