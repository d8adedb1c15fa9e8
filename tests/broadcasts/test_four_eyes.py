"""Four-eyes that holds, played by the attacker: an approval names the version the approver
reviewed, and nobody who created or edited a broadcast can approve it."""

import re

import pytest
from django.urls import reverse

from accounts import roles
from broadcasts import services
from broadcasts.models import Broadcast
from tests.fixtures.broadcasts import compose_form

pytestmark = pytest.mark.django_db


def _review_version(client, pk: int) -> str:
    page = client.get(reverse("broadcasts:review", args=[pk])).content.decode()
    match = re.search(r'name="version" value="([0-9a-f]+)"', page)
    return match.group(1) if match else ""


def _edit(client, pk: int, text: str, area) -> None:
    response = client.post(
        reverse("broadcasts:edit", args=[pk]),
        compose_form(text=text, areas=[area]),
    )
    assert response.status_code == 302


@pytest.fixture
def area60(segment_world, make_residents):
    make_residents(60, area=segment_world.areas[0])
    return segment_world.areas[0]


def test_dual_role_editor_cannot_approve_a_colleagues_broadcast_they_rewrote(client, make_staff, make_broadcast, area60):
    """A member holding both PR roles rewrites a colleague's pending broadcast (it returns
    to 下書き), submits it again and tries to approve their own text: refused on the page
    and the API, not offered in their approvals list; another approver can approve."""
    both = make_staff(roles.PR_AUTHOR, roles.PR_APPROVER)
    b = make_broadcast(areas=[area60], to="pending", text="元の文面")
    client.force_login(both)
    _edit(client, b.pk, "書き換えた文面", area60)
    assert client.post(reverse("broadcasts:submit", args=[b.pk])).status_code == 302
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING
    assert reverse("broadcasts:review", args=[b.pk]) not in client.get(reverse("broadcasts:approvals")).content.decode()
    page = client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    assert 'id="approve"' not in page and "自分が起案・編集した配信は承認できません" in page
    version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": version}, follow=True)
    assert "自分が編集した配信は承認できません" in response.content.decode()
    response = client.post(reverse("broadcasts:api_approve", args=[b.pk]), {"version": version}, content_type="application/json")
    assert response.status_code == 403
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING and b.approver is None
    other = make_staff(roles.PR_APPROVER)
    client.force_login(other)
    response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": _review_version(client, b.pk)})
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SENDING and b.approver == other  # 承認後すぐに配信: approval starts it


def test_a_version_swapped_while_the_approver_reads_cannot_be_approved(client, author, approver, make_broadcast, area60):
    """The approver opens the review page; meanwhile the author swaps the text and submits
    again. Approving with the version on the page is refused with a clear message (page
    and API); after reviewing the new version, it can be approved."""
    b = make_broadcast(areas=[area60], to="pending", text="確認された文面")
    client.force_login(approver)
    seen = _review_version(client, b.pk)
    assert seen and "確認された文面" in client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    client.force_login(author)
    _edit(client, b.pk, "差し替えた文面", area60)
    client.post(reverse("broadcasts:submit", args=[b.pk]))
    client.force_login(approver)
    response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": seen, "next": "review"}, follow=True)
    assert "確認した後に配信の内容が変更されています" in response.content.decode()
    response = client.post(reverse("broadcasts:api_approve", args=[b.pk]), {"version": seen}, content_type="application/json")
    assert response.status_code == 400 and "変更されています" in response.json()["detail"][0]
    response = client.post(reverse("broadcasts:api_approve", args=[b.pk]), {}, content_type="application/json")
    assert response.status_code == 400  # no version: no approval
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING
    fresh = _review_version(client, b.pk)
    assert fresh != seen and "差し替えた文面" in client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": fresh})
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SENDING  # 承認後すぐに配信: approval starts it
    assert b.bubbles.get().text == "差し替えた文面"


def test_targeting_and_schedule_changes_change_the_version(author, make_broadcast, segment_world, area60):
    b = make_broadcast(areas=[area60])
    versions = {services.content_version(b)}
    from datetime import timedelta

    from django.utils import timezone

    for change in (
        {"area_ids": [area60.pk, segment_world.areas[1].pk]},
        {"age_bands": ["30-34"]},
        {"interest_ids": [segment_world.interests[0].pk]},
        {"scheduled_at": timezone.now() + timedelta(days=2)},
    ):
        kwargs = {
            "title": b.title,
            "audience": b.audience,
            "area_ids": b.area_ids,
            "age_bands": b.age_bands,
            "interest_ids": b.interest_ids,
            "scheduled_at": b.scheduled_at,
            "bubbles": [{"type": "text", "text": "お知らせです"}],
        }
        kwargs.update(change)
        b = services.broadcast_save(actor=author, broadcast=b, **kwargs)
        versions.add(services.content_version(b))
    assert len(versions) == 5


def test_review_page_shows_everything_that_is_approved(client, approver, make_broadcast, segment_world, make_residents):
    from datetime import timedelta

    from django.utils import timezone

    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    i0 = segment_world.interests[0]
    make_residents(80, area=a0, age_band="30-34", interests=[i0])
    b = make_broadcast(areas=[a0], age_bands=["30-34"], interests=[i0], text="一つ目")
    when = timezone.now() + timedelta(days=3)
    b = services.broadcast_save(
        actor=b.author,
        broadcast=b,
        title=b.title,
        audience=b.audience,
        area_ids=[a0.pk],
        age_bands=["30-34"],
        interest_ids=[i0.pk],
        scheduled_at=when,
        bubbles=[{"type": "text", "text": "一つ目"}, {"type": "text", "text": "二つ目"}],
    )
    services.broadcast_submit(broadcast=b, actor=b.author)
    client.force_login(approver)
    page = client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    for text in ("一つ目", "二つ目", "30〜34歳", a0.name, i0.name, "除外しない", "予約配信", "配信予定人数"):
        assert text in page, text
    assert a1.name not in page.split('id="review-audience"', 1)[1].split("</dd>", 1)[0]
    assert timezone.localtime(when).strftime("%Y") in page.split('id="review-schedule"', 1)[1]


def test_approvals_list_shows_author_request_time_estimate_schedule_and_emergencies_first(
    client, approver, make_broadcast, segment_world, make_residents
):
    make_residents(80, area=segment_world.areas[0])
    normal = make_broadcast(areas=[segment_world.areas[0]], to="pending")
    urgent = make_broadcast(everyone=True, kind=Broadcast.Kind.EMERGENCY, to="pending")
    client.force_login(approver)
    page = client.get(reverse("broadcasts:approvals")).content.decode()
    assert page.index(reverse("broadcasts:review", args=[urgent.pk])) < page.index(reverse("broadcasts:review", args=[normal.pk]))
    for header in ("起案者", "申請日時", "配信予定人数", "予約日時"):
        assert header in page
    assert "広報 花子" in page
    row = page.split(reverse("broadcasts:review", args=[normal.pk]), 1)[1].split("</tr>", 1)[0]
    assert re.search(r"約[\d,]+人|50人未満", row) and not re.search(r"(?<![\d,約])80人", row)


def test_a_new_schedule_after_approval_needs_a_new_approval(client, author, approver, make_staff, make_broadcast, area60):
    """The schedule is part of what was approved: the author moves an approved 予約配信 to
    another time (page and API); it is not left 予約済 at a time nobody approved, but goes
    back to 申請中, the old version cannot approve it, and whoever moved it (even a member
    holding both PR roles) cannot approve it; another approver can."""
    from datetime import timedelta

    from django.utils import timezone

    b = make_broadcast(areas=[area60], to="approved", approver=approver, scheduled_at=timezone.now() + timedelta(days=1))
    assert b.status == Broadcast.Status.SCHEDULED
    client.force_login(approver)
    approved_version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    both = make_staff(roles.PR_AUTHOR, roles.PR_APPROVER)
    client.force_login(both)
    response = client.post(reverse("broadcasts:schedule", args=[b.pk]), {"scheduled_at": "2031-01-01T03:00"}, follow=True)
    assert "もう一度承認が必要です" in response.content.decode()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING and b.approver is None and b.approved_at is None
    assert timezone.localtime(b.scheduled_at).strftime("%Y-%m-%d %H:%M") == "2031-01-01 03:00"
    new_version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    assert new_version != approved_version
    response = client.post(
        reverse("broadcasts:api_approve", args=[b.pk]), {"version": new_version}, content_type="application/json"
    )
    assert response.status_code == 403  # moved the time: an editor now
    client.force_login(approver)
    response = client.post(
        reverse("broadcasts:api_approve", args=[b.pk]), {"version": approved_version}, content_type="application/json"
    )
    assert response.status_code == 400 and "変更されています" in response.json()["detail"][0]
    assert client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": _review_version(client, b.pk)}).status_code == 302
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SCHEDULED and b.approver == approver
    client.force_login(author)  # the same time again changes nothing
    response = client.post(reverse("broadcasts:schedule", args=[b.pk]), {"scheduled_at": "2031-01-01T03:00"}, follow=True)
    assert "予約日時は変わっていません" in response.content.decode()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SCHEDULED and b.approver == approver
    # The API path does the same.
    client.force_login(author)
    response = client.post(
        reverse("broadcasts:api_schedule", args=[b.pk]),
        {"scheduled_at": "2031-02-01T10:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "pending"
