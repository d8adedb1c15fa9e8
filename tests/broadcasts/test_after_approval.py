"""What the approver sees after pressing 承認する on the review page (issue 12, walked as a
newcomer): the broadcast's own page with the send's progress, not the review page again
(which still said 「承認すると…」 and showed no progress); residents have it with no further
action. A refused approval stays on the review page and says why."""

import re

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEntry
from broadcasts.models import Broadcast

pytestmark = pytest.mark.django_db


def _version(client, pk: int) -> str:
    page = client.get(reverse("broadcasts:review", args=[pk])).content.decode()
    return re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)


def test_approving_from_the_review_page_shows_the_progress_and_delivers(
    client, approver, make_broadcast, segment_world, make_residents, line_emulator, run_on_commit
):
    residents = make_residents(60, area=segment_world.areas[0])
    b = make_broadcast(areas=[segment_world.areas[0]], to="pending", text="断水のお知らせです。")
    client.force_login(approver)
    version = _version(client, b.pk)
    with run_on_commit():
        response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"next": "review", "version": version})
    assert response.status_code == 302
    assert response["Location"] == reverse("broadcasts:detail", args=[b.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="progress"' in page and "配信完了" in page
    assert "承認し、配信を開始しました。" in page
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DONE
    assert all(line_emulator.count(uid) == 1 for uid in residents)
    assert line_emulator.received_texts(residents[0]) == ["断水のお知らせです。"]


def test_a_refused_approval_stays_on_the_review_page(client, approver, make_broadcast, segment_world, make_residents):
    make_residents(60, area=segment_world.areas[0])
    b = make_broadcast(areas=[segment_world.areas[0]], to="pending")
    client.force_login(approver)
    response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"next": "review", "version": "0" * 16})
    assert response["Location"] == reverse("broadcasts:review", args=[b.pk])
    assert "変更されています" in client.get(response["Location"]).content.decode()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING


def test_the_audit_log_names_a_broadcast_by_its_title(
    client, approver, make_broadcast, segment_world, make_residents, make_staff
):
    make_residents(60, area=segment_world.areas[0])
    b = make_broadcast(areas=[segment_world.areas[0]], to="pending")
    client.force_login(approver)
    client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": _version(client, b.pk)})
    entry = AuditEntry.objects.get(action="broadcast.approved")
    assert entry.target_repr == f"「テスト配信」（#{b.pk}）"
    client.force_login(make_staff(roles.ADMIN))
    log = client.get(reverse("accounts:audit_log")).content.decode()
    assert f"配信 「テスト配信」（#{b.pk}）" in log
    assert f"配信#{b.pk}" not in log


def test_a_finished_broadcast_shows_no_empty_actions_card(
    client, author, approver, make_broadcast, segment_world, make_residents, line_emulator, send_broadcast
):
    make_residents(60, area=segment_world.areas[0])
    b = send_broadcast(areas=[segment_world.areas[0]])
    assert b.status == Broadcast.Status.DONE
    for user in (author, approver):
        client.force_login(user)
        page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
        assert "配信完了" in page and 'id="actions-heading"' not in page
    draft = make_broadcast(areas=[segment_world.areas[0]])
    client.force_login(author)
    page = client.get(reverse("broadcasts:detail", args=[draft.pk])).content.decode()
    assert 'id="actions-heading"' in page and 'id="delete"' in page
