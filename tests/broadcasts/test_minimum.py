"""The 50-recipient minimum holds on every path (UI, API, tasks), also when the segment
shrinks between approval and send; counts under 50 never appear."""

import pytest
from django.urls import reverse

from broadcasts import services, tasks
from broadcasts.models import Broadcast
from portal.errors import DomainError
from portal.line.models import Resident
from tests.fixtures.broadcasts import compose_form

pytestmark = pytest.mark.django_db


def _shrink_by_one(area) -> None:
    """One resident of ``area`` blocks the account: 50 → 49."""
    Resident.objects.filter(area=area, status=Resident.Status.ACTIVE).order_by("pk").first()
    r = Resident.objects.filter(area=area, status=Resident.Status.ACTIVE).order_by("pk").first()
    r.status = Resident.Status.BLOCKED
    r.save(update_fields=["status"])


def _no_small_count(response) -> None:
    body = response.content.decode()
    for n in ("49人", "49 ", '"49"', ": 49", "49,", ">49<"):
        assert n not in body


@pytest.fixture
def area49(segment_world, make_residents):
    area = segment_world.areas[0]
    make_residents(49, area=area)
    make_residents(30, area=segment_world.areas[1])
    make_residents(5, area=area, opt_out=True)  # 配信停止: never counted
    make_residents(5, area=area, status=Resident.Status.BLOCKED)
    return area


@pytest.fixture
def area50(segment_world, make_residents):
    area = segment_world.areas[2]
    make_residents(50, area=area)
    return area


def test_49_cannot_be_submitted_by_service_ui_or_api(client, author, make_broadcast, area49):
    b = make_broadcast(areas=[area49])
    with pytest.raises(DomainError) as exc:
        services.broadcast_submit(broadcast=b, actor=author)
    assert "49" not in str(exc.value)

    client.force_login(author)
    response = client.post(reverse("broadcasts:submit", args=[b.pk]), follow=True)
    assert "50人未満" in response.content.decode()
    _no_small_count(response)

    response = client.post(reverse("broadcasts:api_submit", args=[b.pk]), content_type="application/json")
    assert response.status_code == 400
    assert "50人未満" in response.json()["detail"][0]
    _no_small_count(response)

    # the compose page's 承認を申請 button (save + submit in one post)
    response = client.post(
        reverse("broadcasts:edit", args=[b.pk]),
        compose_form(areas=[area49], action="submit"),
        follow=True,
    )
    assert "50人未満" in response.content.decode()
    b.refresh_from_db()
    assert b.status == Broadcast.Status.DRAFT


def test_50_can_be_submitted_and_all_friends_is_exempt(author, make_broadcast, area50, area49):
    b = make_broadcast(areas=[area50], to="pending")
    assert b.status == Broadcast.Status.PENDING
    # 友だち全員 with few friends: exempt from the minimum (still goes through approval)
    Resident.objects.exclude(area=area49).delete()
    Resident.objects.filter(area=area49).update(status=Resident.Status.BLOCKED)
    b2 = make_broadcast(everyone=True, to="pending")
    assert b2.status == Broadcast.Status.PENDING


def test_shrunk_to_49_cannot_be_approved_by_service_ui_or_api(client, approver, make_broadcast, area50):
    b = make_broadcast(areas=[area50], to="pending")
    _shrink_by_one(area50)
    with pytest.raises(DomainError):
        services.broadcast_approve(broadcast=b, approver=approver, version=services.content_version(b))
    client.force_login(approver)
    version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    response = client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": version}, follow=True)
    assert "50人未満" in response.content.decode()
    _no_small_count(response)
    response = client.post(reverse("broadcasts:api_approve", args=[b.pk]), {"version": version}, content_type="application/json")
    assert response.status_code == 400
    response = client.post(reverse("broadcasts:review", args=[b.pk]))  # mobile page: GET only renders
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING


def test_shrunk_to_49_cannot_be_rescheduled(client, author, approver, make_broadcast, area50, line_emulator, run_on_commit):
    from datetime import timedelta

    from django.utils import timezone

    b = make_broadcast(areas=[area50], to="approved", approver=approver, scheduled_at=timezone.now() + timedelta(days=1))
    assert b.status == Broadcast.Status.SCHEDULED
    _shrink_by_one(area50)
    client.force_login(author)
    when = "2031-01-01T10:00"
    response = client.post(reverse("broadcasts:schedule", args=[b.pk]), {"scheduled_at": when}, follow=True)
    assert "50人未満" in response.content.decode()
    response = client.post(
        reverse("broadcasts:api_schedule", args=[b.pk]),
        {"scheduled_at": "2031-01-01T10:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 400
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SCHEDULED
    assert line_emulator.requests("multicast") == []


def test_shrinking_after_send_was_requested_stops_the_task(client, author, approver, make_broadcast, area50, line_emulator):
    """Approved at 50 (承認後すぐに配信: sending requested), then one resident blocks before the
    worker takes the snapshot: the task re-checks the frozen set and does not send; the page
    says why and what to do."""
    b = make_broadcast(areas=[area50], to="approved", approver=approver)  # on_commit not run: the task waits
    _shrink_by_one(area50)
    tasks.start_broadcast.delay(b.pk)
    b.refresh_from_db()
    assert b.status == Broadcast.Status.CANCELLED
    assert b.halt_reason == Broadcast.HaltReason.BELOW_MINIMUM
    assert b.batches.count() == 0
    assert line_emulator.requests("multicast") == []
    client.force_login(author)
    page = client.get(reverse("broadcasts:detail", args=[b.pk]))
    assert "最低配信人数（50人）を下回ったため配信しませんでした" in page.content.decode()
    assert "条件を広げて新しい配信を作成" in page.content.decode()
    _no_small_count(page)
    status = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()
    assert status["status"] == "cancelled" and status["halt_reason"] == "below_minimum"
    from accounts.models import AuditEntry

    halted = AuditEntry.objects.get(action="broadcast.halted", target_id=str(b.pk))
    assert "49" not in str(halted.detail) and "49" not in halted.target_repr


def test_scheduled_broadcast_that_shrank_is_not_started_by_beat(
    author, approver, make_broadcast, area50, line_emulator, time_machine
):
    from datetime import timedelta

    from django.utils import timezone

    b = make_broadcast(areas=[area50], to="approved", approver=approver, scheduled_at=timezone.now() + timedelta(hours=1))
    _shrink_by_one(area50)
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    assert tasks.start_due_scheduled.delay().get() == 1
    b.refresh_from_db()
    assert b.status == Broadcast.Status.CANCELLED and b.halt_reason == Broadcast.HaltReason.BELOW_MINIMUM
    assert line_emulator.requests("multicast") == []


def test_estimate_below_50_shows_no_number(client, author, area49, settings):
    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: the display rule (at ε = 1.2, 49 may well read 約60人)
    client.force_login(author)
    response = client.post(
        reverse("broadcasts:api_estimate"), {"audience": "segment", "area_ids": [area49.pk]}, content_type="application/json"
    )
    data = response.json()
    assert (data["reach"], data["below_minimum"], data["text"]) == (None, True, "50人未満 — 最低配信人数に達していません")
    assert "49" not in response.content.decode()


def test_author_cannot_approve_own_broadcast(client, make_staff, make_broadcast, area50):
    from accounts import roles

    both = make_staff(roles.PR_AUTHOR, roles.PR_APPROVER)
    b = make_broadcast(areas=[area50], to="pending", by=both)
    from portal.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.broadcast_approve(broadcast=b, approver=both, version=services.content_version(b))
    client.force_login(both)
    version = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]
    client.post(reverse("broadcasts:approve", args=[b.pk]), {"version": version})
    response = client.post(reverse("broadcasts:api_approve", args=[b.pk]), {"version": version}, content_type="application/json")
    assert response.status_code == 403
    page = client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    assert "自分が起案した配信は承認できません" in page
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING and b.approver is None


def test_a_segment_with_dimensions_is_counted_exactly_at_submit_approve_and_send(
    admin_client, author, approver, make_broadcast, segment_world, make_residents, line_resident, line_emulator
):
    """性別 = 女性 in one area and one age band: 50 exactly (from the trigger-kept cells of
    answers), then one of them blocks the account (webhook), comes back, and another
    withdraws the answer before the send starts: each check sees the change at once."""
    from portal.line import services as line_services
    from portal.line.models import Dimension, DimensionOption
    from tests.broadcasts.test_dimensions import answer
    from tests.line.test_dimensions import add_dimension

    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "回答しない"])
    area = segment_world.areas[0]
    women = make_residents(50, area=area, age_band="40-44")
    answer(women, "女性")
    answer(make_residents(30, area=area, age_band="40-44"), "男性")
    answer(make_residents(30, area=area, age_band="50+"), "女性")  # another age band
    answer(make_residents(10, area=area, age_band="40-44", opt_out=True), "女性")  # 配信停止: never counted
    female = DimensionOption.objects.get(label="女性")
    segment = {"areas": [area], "age_bands": ["40-44"], "dimensions": {str(gender.pk): [female.pk]}}

    b = make_broadcast(**segment, to="pending")
    assert b.status == Broadcast.Status.PENDING
    line_resident.unfollow(women[0])  # 49
    with pytest.raises(DomainError) as exc:
        services.broadcast_approve(broadcast=b, approver=approver, version=services.content_version(b))
    assert "49" not in str(exc.value)
    with pytest.raises(DomainError):
        make_broadcast(**segment, to="pending")  # a new one is refused at submit
    line_resident.follow(women[0], unblocked=True)  # 50 again
    services.broadcast_approve(broadcast=b, approver=approver, version=services.content_version(b))  # the task waits
    b.refresh_from_db()
    assert b.status == Broadcast.Status.SENDING  # sending requested (承認後すぐに配信)

    withdrawn = Resident.objects.get(line_user_id=women[1])
    line_services.answers_replace(resident=withdrawn, dimension=Dimension.objects.get(pk=gender.pk), option_ids=[])  # 49
    tasks.start_broadcast.delay(b.pk)
    b.refresh_from_db()
    assert b.status == Broadcast.Status.CANCELLED and b.halt_reason == Broadcast.HaltReason.BELOW_MINIMUM
    assert line_emulator.requests("multicast") == []
