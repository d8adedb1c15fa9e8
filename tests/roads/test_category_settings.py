"""Categories are admin-editable: システム管理者 and road staff may edit them, others may not."""

import pytest

from accounts import roles


@pytest.mark.parametrize("role", [roles.ADMIN, roles.ROAD])
def test_admin_and_road_staff_edit_a_category(client, make_staff, road_setup, role):
    category = road_setup["pothole"] if "pothole" in road_setup else next(iter(road_setup.values()))
    client.force_login(make_staff(role))
    page = client.get("/roads/settings/")
    assert page.status_code == 302 and page.headers["Location"].endswith("/roads/settings/categories/")
    assert client.get("/roads/settings/categories/").status_code == 200
    response = client.post(
        f"/roads/settings/categories/{category.pk}/",
        {
            "code": category.code,
            "name": "道路の穴（修正）",
            "team": category.team_id,
            "emergency_phone": "092-000-0000",
            "description": "",
            "order": category.order,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name == "道路の穴（修正）"
    assert category.emergency_phone == "092-000-0000"


@pytest.mark.parametrize("role", [roles.WASTE, roles.PR_AUTHOR, roles.AUDITOR])
def test_other_roles_cannot_edit_categories(client, make_staff, road_setup, role):
    category = next(iter(road_setup.values()))
    client.force_login(make_staff(role))
    assert client.get("/roads/settings/categories/").status_code == 403
    response = client.post(f"/roads/settings/categories/{category.pk}/", {"name": "x"})
    assert response.status_code == 403
    category.refresh_from_db()
    assert category.name != "x"


def test_admin_sees_the_road_settings_in_the_menu(client, make_staff):
    client.force_login(make_staff(roles.ADMIN))
    assert b"/roads/settings/" in client.get("/").content


def test_queue_priority_filter_starts_empty_and_submitting_it_keeps_every_report(road_client, make_report):
    from intake.roads.models import Priority

    low = make_report()
    high = make_report()
    type(high).objects.filter(pk=high.pk).update(priority=Priority.choices[-1][0])
    page = road_client.get("/roads/").content.decode()
    select = page[page.index('name="priority"') : page.index("</select>", page.index('name="priority"'))]
    assert '<option value="" selected>' in select
    # Submitting the untouched filter form (empty priority) lists both reports.
    listed = road_client.get("/roads/", {"priority": "", "sort": "new"}).content.decode()
    assert low.reference in listed and high.reference in listed
