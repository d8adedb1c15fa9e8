"""The queue page's query count does not grow with the number of reports shown."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.roads import services
from intake.roads.models import ReportPhoto
from portal.context import AuditContext


def _make(n, make_report, road_staff, road_setup):
    from accounts.models import User  # noqa: F401

    cats = list(road_setup.values())
    for i in range(n):
        report = make_report(cats[i % len(cats)].code, lat=33.0 + i * 0.01, lng=130.0)
        services.report_assign(
            report=report, ctx=AuditContext.system(road_staff), assignee=road_staff, priority=3, fields=("assignee", "priority")
        )
        ReportPhoto.objects.create(report=report)


def _count(client, url="/roads/?sort=priority") -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_queries_do_not_grow_with_rows(road_client, road_staff, make_report, road_setup):
    _make(5, make_report, road_staff, road_setup)
    few = _count(road_client)
    few_filtered = _count(road_client, "/roads/?status=received&duplicates=false&sort=new")
    _make(45, make_report, road_staff, road_setup)
    many = _count(road_client)
    assert many == few, (few, many)
    assert _count(road_client, "/roads/?status=received&duplicates=false&sort=new") == few_filtered
    page = road_client.get("/roads/").content.decode()
    assert page.count('name="report"') == 50
