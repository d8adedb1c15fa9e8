"""Recurring series through the API: the table's actions with the pages' permissions, the
one error shape, and answers that name no number of residents."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from broadcasts.recurring import selectors
from broadcasts.recurring.models import Occurrence, Series

pytestmark = pytest.mark.django_db

S = Series.Status
NOW = timezone.make_aware(dt.datetime(2026, 7, 10, 10, 0))


@pytest.fixture
def areas(segment_world, make_residents):
    east, hakata, _third = segment_world.areas
    make_residents(60, area=east)
    make_residents(60, area=hakata)
    return east, hakata


def api(name, series):
    return reverse(f"recurring:api_{name}", args=[series.pk])


@time_machine.travel(NOW, tick=False)
def test_an_approver_approves_the_reviewed_version_and_the_answer_names_no_residents(
    client, approver, areas, make_series, audit_actions
):
    east, hakata = areas
    series = make_series(areas={east: ([0, 3], "東区: 燃えるごみ"), hakata: ([1], "博多区: 燃えるごみ")}, to="pending")
    client.force_login(approver)
    shown = client.get(reverse("recurring:api_detail", args=[series.pk])).json()
    assert [a["area_name"] for a in shown["areas"]] == [east.name, hakata.name]

    response = client.post(api("approve", series), {"version": shown["version"]}, content_type="application/json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == S.ACTIVE and body["approver"] == approver.full_name
    series.refresh_from_db()
    assert series.status == S.ACTIVE and series.approved_version == selectors.series_version(series)
    # No count of residents, per area or in all (the page's estimates stay on the page).
    assert not {"estimates", "reach", "recipients"} & set(body)
    assert all(set(area) == {"area", "area_name", "weekdays", "text"} for area in body["areas"])


@time_machine.travel(NOW, tick=False)
def test_an_author_may_not_approve_and_nothing_changes(client, author, areas, make_series):
    series = make_series(areas={areas[0]: ([0], "文面")}, to="pending")
    client.force_login(author)

    response = client.post(api("approve", series), {"version": selectors.series_version(series)}, content_type="application/json")

    assert response.status_code == 403
    series.refresh_from_db()
    assert series.status == S.PENDING and series.approver is None


@time_machine.travel(NOW, tick=False)
def test_a_refused_transition_answers_the_one_error_shape(client, author, areas, make_series):
    series = make_series(areas={areas[0]: ([0], "文面")}, to="draft")
    client.force_login(author)

    response = client.post(api("pause", series))  # a draft does not send: nothing to pause

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "details"} and body["code"] == "invalid_state"
    assert body["details"] == {"state": S.DRAFT, "action": "pause"}
    series.refresh_from_db()
    assert series.status == S.DRAFT


@time_machine.travel(NOW, tick=False)
def test_approving_without_the_version_is_refused(client, approver, areas, make_series):
    series = make_series(areas={areas[0]: ([0], "文面")}, to="pending")
    client.force_login(approver)

    response = client.post(api("approve", series), {}, content_type="application/json")

    assert response.status_code == 400 and set(response.json()) == {"detail", "code", "details"}
    series.refresh_from_db()
    assert series.status == S.PENDING


@time_machine.travel(NOW, tick=False)
def test_submit_pause_skip_and_delete_as_the_pages_do(client, author, approver, areas, make_series):
    east = areas[0]
    draft = make_series(areas={east: ([0], "文面")}, to="draft")
    active = make_series(areas={east: ([0], "文面")}, to="active", approver=approver, title="資源ごみ")
    client.force_login(author)

    assert client.post(api("submit", draft)).json()["status"] == S.PENDING
    assert client.post(api("pause", active)).json()["status"] == S.PAUSED
    monday = dt.date(2026, 7, 13)
    response = client.post(api("skip", active), {"date": monday.isoformat()}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == S.PAUSED
    assert Occurrence.objects.get(series=active, date=monday).status == Occurrence.Status.SKIPPED

    other = make_series(areas={east: ([0], "文面")}, to="draft", title="下書き")
    assert client.post(api("delete", other)).status_code == 204
    assert not Series.objects.filter(pk=other.pk).exists()


@time_machine.travel(NOW, tick=False)
def test_the_list_is_for_broadcast_readers_and_csrf_is_the_session_s(make_staff, author, areas, make_series):
    from accounts import roles

    series = make_series(areas={areas[0]: ([0], "文面")}, to="pending")
    reader = Client()
    reader.force_login(make_staff(roles.AUDITOR))
    assert [s["id"] for s in reader.get(reverse("recurring:api_list")).json()["results"]] == [series.pk]
    assert reader.post(api("submit", series)).status_code == 403
    outsider = Client()
    outsider.force_login(make_staff(roles.ROAD))
    assert outsider.get(reverse("recurring:api_list")).status_code == 403

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(author)
    draft = make_series(areas={areas[0]: ([0], "文面")}, to="draft", title="CSRF")
    assert strict.post(api("submit", draft)).status_code == 403  # no CSRF token: refused
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
