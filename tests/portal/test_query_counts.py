"""Exact query counts of the portal's own pages that list things (the dashboard's cards,
保存期間's stores and their last runs), each measured again after more rows exist: the
number is stated and does not grow (tests/fixtures/queries.py)."""

import pytest
from django.test import Client

from accounts import roles


def _get(client: Client, url: str, assert_queries, count: int) -> None:
    with assert_queries(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Each count includes the one query of the 災害時モード banner (broadcasts/richmenus).
@pytest.mark.parametrize(
    ("role", "count"),
    [(roles.ADMIN, 14), (roles.ROAD, 10), (roles.WASTE, 7), (roles.PR_AUTHOR, 8), (roles.PR_APPROVER, 9), (roles.AUDITOR, 8)],
)
def test_dashboard(role, count, make_staff, make_report, assert_queries):
    client = _client(make_staff(role))
    make_report("pothole")
    _get(client, "/", assert_queries, count)
    for _ in range(5):
        make_report("pothole")
    _get(client, "/", assert_queries, count)


def test_retention_page(admin_client, assert_queries):
    from portal.tasks import purge_personal_data

    purge_personal_data.apply()  # every store has a last run to show (one query per store)
    _get(admin_client, "/retention/", assert_queries, 20)  # 17 + the chat log's, the inbox's and the rich menus' stores
    purge_personal_data.apply()
    _get(admin_client, "/retention/", assert_queries, 20)
