"""Changes to what residents are told and to how long their data is kept are audited as
field diffs (old and new value), whichever page makes them: the LINE settings (the blocked
residents' retention period), the segment areas residents pick in 受信設定, and the road
categories and reply templates also when a superuser edits them in the Django admin."""

import pytest
from django.test import Client

from accounts import roles
from accounts.models import AuditEntry
from portal.line.models import Area, LineSettings


@pytest.fixture
def admin_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff(roles.ADMIN))
    return client


def _last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-id").first()
    assert entry is not None, f"no {action} entry"
    return entry


def test_the_blocked_residents_retention_period_change_records_old_and_new(admin_client):
    LineSettings.current()
    old = LineSettings.current().blocked_retention_days
    response = admin_client.post("/line/settings/", {"blocked_retention_days": 30})
    assert response.status_code == 302
    assert LineSettings.current().blocked_retention_days == 30
    assert _last("line.settings_changed").detail["changes"] == {"blocked_retention_days": [old, 30]}


def test_a_segment_area_rename_records_old_and_new(admin_client):
    area = Area.objects.create(code="t-kita", name="北区", order=9)
    data = {"name": "北部区", "code": "t-kita", "order": 9, "is_active": "on"}
    response = admin_client.post(f"/line/settings/areas/{area.pk}/", data)
    assert response.status_code == 302
    entry = _last("line.settings_changed")
    assert entry.target_id == str(area.pk) and entry.detail["changes"] == {"name": ["北区", "北部区"]}


def test_a_category_emergency_phone_changed_in_the_django_admin_is_audited(make_staff, road_setup):
    superuser = make_staff(roles.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    category = road_setup["pothole"]
    page = client.get(f"/django-admin/roads/category/{category.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["team"] = category.team_id or ""
    data["emergency_phone"] = "092-000-0000"
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(f"/django-admin/roads/category/{category.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    category.refresh_from_db()
    assert category.emergency_phone == "092-000-0000"
    entry = _last("roads.settings_changed")
    assert entry.actor == superuser and entry.target_id == str(category.pk)
    assert entry.detail["changes"]["emergency_phone"][1] == "092-000-0000"


def test_a_reply_template_deleted_in_the_django_admin_is_audited(make_staff, road_setup):
    from intake.roads.models import ResponseTemplate

    superuser = make_staff(roles.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    template = ResponseTemplate.objects.first()
    response = client.post(f"/django-admin/roads/responsetemplate/{template.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ResponseTemplate.objects.filter(pk=template.pk).exists()
    entry = _last("roads.settings_changed")
    assert entry.target_id == str(template.pk) and entry.detail.get("deleted") is True
    assert entry.detail["changes"]["text"][0] == template.text
