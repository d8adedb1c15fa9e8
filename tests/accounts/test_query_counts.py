"""Exact query counts of the accounts pages that list things (Zulip style: the queries are
printed when the count differs, with -v), each measured with few and with more rows at the
same count: nothing runs a query per staff member, role or audit entry."""

import pytest

from accounts import audit, roles
from accounts.services import audit_record
from portal.context import AuditContext

# Each includes the signed-in admin's session, user, roles and MFA policy.
EXPECTED = {
    "/staff/": 8,  # staff with roles (one prefetch) and MFA (an annotation)
    "/staff/roles/": 7,
    "/staff/audit/": 9,  # a page of entries with their actors, the count, the filter's choices
    "/staff/audit/export.csv": 9,  # + the export's own audit entry
}


@pytest.fixture
def staff_and_entries(make_staff):
    def make(n: int) -> None:
        for i in range(n):
            member = make_staff(roles.ROAD, roles.WASTE, email=f"member{i}@city.example.jp", with_totp=i % 2 == 0)
            audit_record(action=audit.STAFF_UPDATED, ctx=AuditContext(actor=member, ip="192.0.2.1"), target=member)
            audit_record(action=audit.LOGIN_FAILED, ctx=AuditContext.system(), detail={"reason": "credentials"})

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 6])
@pytest.mark.parametrize("path", list(EXPECTED))
def test_accounts_pages(path, rows, staff_and_entries, admin_client, django_assert_num_queries):
    staff_and_entries(rows)
    admin_client.get(path)  # the session's first request (MFA check, language) is not what is measured
    with django_assert_num_queries(EXPECTED[path]):
        response = admin_client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and body
