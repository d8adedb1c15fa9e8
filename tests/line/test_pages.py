"""Staff pages of the LINE layer: audience counts, resident lookup, settings."""

import re

import pytest

from accounts import roles
from accounts.models import AuditEntry
from portal.line.demo import segments_load_demo
from portal.line.models import Area, Interest, LineSettings, Resident
from portal.line.selectors import privacy_count


@pytest.fixture
def segments(db):
    return segments_load_demo()


def _residents(n: int, *, area=None, age="", bits=0, prefix="Uf", status="active"):
    Resident.objects.bulk_create(
        [Resident(line_user_id=f"{prefix}{i:031x}", area=area, age_band=age, interest_bits=bits, status=status) for i in range(n)]
    )


def test_privacy_count_never_shows_a_number_below_50():
    assert [privacy_count(n) for n in (0, 1, 49)] == ["50人未満"] * 3
    assert privacy_count(50) == "50人"
    assert privacy_count(1234567) == "1,234,567人"


def test_audience_page_counts_and_hides_small_groups(make_staff, client, segments):
    areas, interests = segments
    bousai = next(i for i in interests if i.code == "bousai")
    _residents(60, area=areas[1], age="30-34", bits=bousai.mask, prefix="Ua")
    _residents(7, area=areas[0], age="50+", prefix="Ub")
    _residents(80, prefix="Uc", status="blocked")
    client.force_login(make_staff(roles.PR_AUTHOR))
    page = client.get("/line/audience/").content.decode()
    assert "67人" in page and "80人" in page  # friends, blocked
    博多 = re.search(r"博多区</th><td class=\"num\">([^<]+)<", page).group(1)
    東 = re.search(r"東区</th><td class=\"num\">([^<]+)<", page).group(1)
    assert 博多 == "60人" and 東 == "50人未満"
    # no number below 50 anywhere in the page's tables
    for cell in re.findall(r'<td class="num">([^<]+)<', page):
        digits = re.sub(r"[^0-9]", "", cell)
        assert not digits or int(digits) >= 50 or cell == "50人未満"
    assert ">7人" not in page


def test_single_hidden_row_gets_a_complementary_hidden_row(make_staff, client, segments):
    areas, _interests = segments
    for n, area in enumerate(areas[:-1]):
        _residents(50 + n, area=area, prefix=f"U{n}")
    _residents(3, area=areas[-1], prefix="Ud")
    _residents(70, prefix="Ue")  # 未登録
    client.force_login(make_staff(roles.ADMIN))
    page = client.get("/line/audience/").content.decode()
    # 西区 (3) is hidden; so is the smallest shown ward (東区, 50), or 西区 = total - the rest
    assert re.search(r'西区</th><td class="num">50人未満<', page)
    assert re.search(r'東区</th><td class="num">非表示<', page)
    assert re.search(r'博多区</th><td class="num">51人<', page)


def test_audience_page_is_for_pr_and_admins_only(make_staff, client):
    client.force_login(make_staff(roles.ROAD))
    assert client.get("/line/audience/").status_code == 403


def test_dashboard_card_uses_privacy_count(make_staff, client, segments):
    _residents(10)
    client.force_login(make_staff(roles.PR_APPROVER))
    page = client.get("/").content.decode()
    assert "LINE友だち" in page and "50人未満" in page


def test_lookup_is_admin_only_post_and_audited(make_staff, client, segments):
    Resident.objects.create(line_user_id="U" + "1" * 32, display_name="博多 花子", age_band="30-34")
    Resident.objects.create(line_user_id="U" + "2" * 32, display_name="早良 太郎")
    client.force_login(make_staff(roles.PR_AUTHOR))
    assert client.post("/line/residents/lookup/", {"display_name": "花子", "reason": "x"}).status_code == 403
    assert not AuditEntry.objects.filter(action="line.resident_lookup").exists()
    admin = make_staff(roles.ADMIN)
    client.force_login(admin)
    page = client.get("/line/residents/lookup/").content.decode()
    assert 'method="post"' in page and "博多 花子" not in page
    response = client.post("/line/residents/lookup/", {"display_name": "花子", "reason": "問い合わせ対応"})
    body = response.content.decode()
    assert "博多 花子" in body and "早良 太郎" not in body and "U" + "1" * 32 in body
    entry = AuditEntry.objects.get(action="line.resident_lookup")
    assert entry.actor == admin and entry.detail["matched"] == 1 and entry.detail["reason"] == "問い合わせ対応"
    assert "花子" not in str(entry.detail) and "花子" not in entry.target_repr
    client.post("/line/residents/lookup/", {"line_user_id": "U" + "2" * 32, "reason": "問い合わせ対応"})
    assert AuditEntry.objects.filter(action="line.resident_lookup").count() == 2


def test_lookup_needs_exactly_one_term(admin_client):
    response = admin_client.post("/line/residents/lookup/", {"reason": "x"})
    assert "どちらか一方" in response.content.decode()


def test_settings_edit_retention_areas_interests(admin_client, segments):
    response = admin_client.post("/line/settings/", {"blocked_retention_days": 30})
    assert response.status_code == 302 and LineSettings.current().blocked_retention_days == 30
    admin_client.post("/line/settings/areas/new/", {"name": "糸島", "code": "itoshima", "order": 9, "is_active": "on"})
    assert Area.objects.filter(code="itoshima", is_active=True).exists()
    admin_client.post("/line/settings/interests/new/", {"name": "文化", "code": "bunka", "order": 9, "is_active": "on"})
    bunka = Interest.objects.get(code="bunka")
    assert bunka.bit not in {i.bit for i in Interest.objects.exclude(pk=bunka.pk)}
    area = Area.objects.get(code="nishi")
    admin_client.post(f"/line/settings/areas/{area.pk}/", {"name": "西区", "code": "nishi", "order": 6})
    area.refresh_from_db()
    assert not area.is_active
    page = admin_client.get("/line/settings/").content.decode()
    assert "糸島" in page and "文化" in page


def test_settings_pages_need_manage_settings(make_staff, client):
    client.force_login(make_staff(roles.PR_AUTHOR))
    assert client.get("/line/settings/").status_code == 403
    assert client.post("/line/settings/areas/new/", {"name": "x", "code": "x"}).status_code == 403
    assert not Area.objects.filter(code="x").exists()
