"""Staff pages of the LINE layer: audience counts, resident lookup, settings."""

import re

import pytest

from accounts import roles
from accounts.models import AuditEntry
from portal.line.devtools.demo import segments_load_demo
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


_FIGURE = re.compile(r"約([\d,]+)人")


def _cells(page: str, table_id: str) -> dict[str, str]:
    section = page.split(f'id="{table_id}-heading"', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)<', section))


def _assert_figure_or_hidden(cell: str) -> None:
    if cell in ("50人未満", "非表示"):
        return
    n = int(_FIGURE.fullmatch(cell).group(1).replace(",", ""))
    assert n >= 50 and n % 10 == 0, cell


def test_audience_page_shows_only_rounded_noisy_figures_and_hides_small_groups(make_staff, client, segments):
    """No exact total or row: every figure comes from the differentially private release,
    rounded to tens; anything that looks under 50 is 「50人未満」 (broadcasts/PRIVACY.md)."""
    areas, interests = segments
    bousai = next(i for i in interests if i.code == "bousai")
    _residents(613, area=areas[1], age="30-34", bits=bousai.mask, prefix="Ua")
    _residents(7, area=areas[0], age="50+", prefix="Ub")
    _residents(80, prefix="Uc", status="blocked")
    client.force_login(make_staff(roles.PR_AUTHOR))
    page = client.get("/line/audience/").content.decode()
    for exact in ("620", "613", "7", "80"):
        assert not re.search(rf"(?<![\d,約]){exact}人", page)
    for table in ("area", "age", "interest"):
        for cell in _cells(page, table).values():
            _assert_figure_or_hidden(cell)
    hakata = _cells(page, "area")["博多区"]
    if hakata != "非表示":  # hidden too when the other wards' noisy figures add up to under 50
        assert abs(int(_FIGURE.fullmatch(hakata).group(1).replace(",", "")) - 613) <= 120  # noisy, but useful
    assert _cells(page, "area")["東区"] in ("50人未満", "非表示")


def test_hidden_rows_never_add_up_to_a_small_group(make_staff, client, segments, settings):
    """Complementary suppression on the noisy figures: a breakdown never hides exactly one
    row, so total − visible is never one small group; more rows are hidden until the hidden
    part is itself at least 50 (in the release)."""
    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: the rule itself is checked
    areas, _interests = segments
    for n, area in enumerate(areas[:-1]):
        _residents(150 + 10 * n, area=area, prefix=f"U{n}")
    _residents(3, area=areas[-1], prefix="Ud")
    _residents(700, prefix="Ue")  # 未登録
    client.force_login(make_staff(roles.ADMIN))
    cells = _cells(client.get("/line/audience/").content.decode(), "area")
    hidden = [name for name, cell in cells.items() if cell in ("50人未満", "非表示")]
    assert cells["西区"] == "50人未満" and len(hidden) >= 2
    assert cells["東区"] == "非表示"  # the smallest shown ward (150) joins the hidden part
    assert _FIGURE.fullmatch(cells["博多区"])


def test_audience_page_is_for_pr_and_admins_only(make_staff, client):
    client.force_login(make_staff(roles.ROAD))
    assert client.get("/line/audience/").status_code == 403


def test_dashboard_card_uses_privacy_count(make_staff, client, segments, settings):
    from broadcasts import tasks

    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: 10 friends look under 50
    _residents(10)
    tasks.refresh_reach_cells.delay().get()  # the beat job publishes the first release
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


def test_one_unfollow_cannot_be_read_off_the_audience_page(make_staff, client, segments, line_resident):
    """A staff member who knows a neighbour (東区, 40〜44歳, 防災) and compares the page before
    and after the neighbour unfollows: nothing changes until the next day's release, and then
    every figure moves by fresh noise, not just the neighbour's rows by exactly one."""
    from broadcasts import privacy, tasks
    from portal.line.models import Resident

    areas, interests = segments
    bousai = next(i for i in interests if i.code == "bousai")
    for n, area in enumerate(areas):
        _residents(300 + 20 * n, area=area, age="40-44" if n % 2 else "50+", bits=bousai.mask if n % 3 else 0, prefix=f"U{n}")
    neighbour = "U" + "a" * 32
    Resident.objects.create(line_user_id=neighbour, area=areas[0], age_band="40-44", interest_bits=bousai.mask)
    client.force_login(make_staff(roles.PR_AUTHOR))

    def figures() -> dict[str, str]:
        page = client.get("/line/audience/").content.decode()
        return {f"{t}:{k}": v for t in ("area", "age", "interest") for k, v in _cells(page, t).items()}

    before = figures()
    line_resident.unfollow(neighbour)
    assert Resident.objects.get(line_user_id=neighbour).status == Resident.Status.BLOCKED
    tasks.refresh_reach_cells.delay().get()  # the beat job: cells refreshed, no new release yet
    assert figures() == before
    privacy.release_publish(force=True)  # the next day's release
    after = figures()
    theirs = {"area:東区", "age:40〜44歳", "interest:防災"}
    changed = {k for k in before if before[k] != after[k]}
    assert changed - theirs, "other rows move too: the change is noise, not the neighbour"
    shown = [k for k in before if _FIGURE.fullmatch(before[k]) and _FIGURE.fullmatch(after[k])]
    steps = {
        int(_FIGURE.fullmatch(after[k]).group(1).replace(",", "")) - int(_FIGURE.fullmatch(before[k]).group(1).replace(",", ""))
        for k in shown
    }
    assert steps != {0} and not steps <= {0, -10}
