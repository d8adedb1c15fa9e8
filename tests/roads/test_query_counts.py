"""Exact query counts of every roads page and endpoint that lists things, measured with a
few rows and again with many: the number is stated, and it does not grow with the rows
(tests/fixtures/queries.py prints the queries when it differs)."""

import pytest
from django.test import Client

from intake.roads import services
from intake.roads.models import ApiKey, Category, ReportPhoto, ResponseTemplate, Team
from portal.context import AuditContext


def _reports(n, make_report, road_staff, road_setup) -> None:
    categories = list(road_setup.values())
    for i in range(n):
        report = make_report(categories[i % len(categories)].code, lat=33.0 + i * 0.01, lng=130.0, comment=f"穴 {i}")
        services.report_assign(
            report=report, ctx=AuditContext.system(road_staff), assignee=road_staff, priority=3, fields=("assignee", "priority")
        )
        services.report_change_status(report=report, ctx=AuditContext.system(road_staff), to="checking")
        ReportPhoto.objects.create(report=report)


def _settings_rows(n: int) -> None:
    team = Team.objects.create(code=f"qc-team-{Team.objects.count()}", name="計数班")
    for i in range(n):
        Team.objects.create(code=f"qc-{Team.objects.count()}-{i}", name=f"班{i}")
        category = Category.objects.create(code=f"qc-{Category.objects.count()}-{i}", name=f"種別{i}", team=team)
        ResponseTemplate.objects.create(name=f"テンプレート{i}", status="checking", category=category, text="確認します")


def _api_keys(n: int, admin) -> None:
    for i in range(n):
        services.api_key_issue(name=f"キー{ApiKey.objects.count()}-{i}", ctx=AuditContext.system(admin))


def _get(client: Client, url: str, assert_queries, count: int) -> None:
    with assert_queries(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)


# (who asks, url, queries, reports before, reports added): the road team's queue pages, and
# Open311's public lists.
REPORT_LISTS = [
    ("road_client", "/roads/", 15, 3, 12),
    ("road_client", "/roads/?sort=priority", 15, 3, 12),
    ("road_client", "/roads/?status=checking&duplicates=false&sort=new", 15, 3, 12),
    ("road_client", "/roads/stats/", 12, 3, 12),
    ("road_client", "/roads/areas.geojson", 6, 3, 12),
    ("road_client", "/roads/export.csv", 7, 3, 12),
    ("client", "/open311/v2/services.json", 1, 2, 8),
    ("client", "/open311/v2/services.xml", 1, 2, 8),
    ("client", "/open311/v2/requests.json", 3, 2, 8),
    ("client", "/open311/v2/requests.xml", 3, 2, 8),
    ("client", "/open311/v2/requests.json?status=open,closed", 3, 2, 8),
]


@pytest.mark.parametrize(("asker", "url", "count", "before", "added"), REPORT_LISTS)
def test_report_lists(asker, url, count, before, added, request, road_staff, make_report, road_setup, assert_queries):
    client = request.getfixturevalue(asker)
    _reports(before, make_report, road_staff, road_setup)
    _get(client, url, assert_queries, count)
    _reports(added, make_report, road_staff, road_setup)
    _get(client, url, assert_queries, count)


def test_report_detail(road_client, road_staff, make_report, road_setup, assert_queries):
    _reports(2, make_report, road_staff, road_setup)
    report = make_report("pothole")
    url = f"/roads/{report.pk}/"
    services.note_add(report=report, ctx=AuditContext.system(road_staff), text="メモ")
    _get(road_client, url, assert_queries, 18)
    for i in range(5):
        services.note_add(report=report, ctx=AuditContext.system(road_staff), text=f"メモ{i}")
        ReportPhoto.objects.create(report=report)
    _get(road_client, url, assert_queries, 18)


@pytest.mark.parametrize(("kind", "count"), [("categories", 7), ("teams", 6), ("templates", 7)])
def test_settings_lists(kind, count, road_client, road_setup, assert_queries):
    _get(road_client, f"/roads/settings/{kind}/", assert_queries, count)
    _settings_rows(6)
    _get(road_client, f"/roads/settings/{kind}/", assert_queries, count)


def test_api_keys(admin_client, admin_user, assert_queries):
    _api_keys(1, admin_user)
    _get(admin_client, "/roads/settings/api-keys/", assert_queries, 7)
    _api_keys(6, admin_user)
    _get(admin_client, "/roads/settings/api-keys/", assert_queries, 7)
