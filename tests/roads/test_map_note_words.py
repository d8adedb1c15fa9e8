"""The 「地図タイル未設定」 note speaks to road staff, not programmers: it says who can add
tiles, never a setting's name (issue 12, walked as a newcomer)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_no_tiles_note_names_no_setting(make_report, road_client, settings):
    settings.MAP_TILE_URL = ""
    report = make_report(lat=33.59, lng=130.39)
    for url in ("/roads/", f"/roads/{report.pk}/"):
        page = road_client.get(url).content.decode()
        assert "地図タイル未設定" in page and "システム管理者が設定できます" in page
        assert "MAP_TILE_URL" not in page
