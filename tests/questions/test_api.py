"""The Q&A base through the API: withdraw / restore an entry and publish the base with the
pages' permission (Q&A管理), the one error shape, readers' list and detail without the
feedback counts."""

import pytest
from django.test import Client

from accounts import roles
from intake.questions.demo import load_demo
from intake.questions.models import FaqBase, FaqEntry, FaqVersion

pytestmark = pytest.mark.django_db
S = FaqEntry.Status


@pytest.fixture
def demo_base(db):
    load_demo(lambda _text: None)


def signed_in(make_staff, role) -> Client:
    client = Client()
    client.force_login(make_staff(role))
    return client


def post(client, path):
    return client.post(f"/questions/api/faq/{path}", content_type="application/json")


def test_an_author_withdraws_an_entry_and_publishes_through_the_api(demo_base, make_staff):
    author = signed_in(make_staff, roles.PR_AUTHOR)
    entry = FaqEntry.objects.get(key="FAQ-0003")
    assert entry.status == S.PUBLISHED

    response = post(author, f"entries/{entry.pk}/withdraw/")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == entry.pk and response.json()["status"] == S.WITHDRAWN
    entry.refresh_from_db()
    assert entry.status == S.WITHDRAWN
    base = FaqBase.load()
    assert author.get(f"/questions/api/faq/base/{base.pk}/").json()["status"] == FaqBase.Status.CHANGED

    published = post(author, f"base/{base.pk}/publish/")

    assert published.status_code == 200, published.content
    assert published.json() == {**published.json(), "id": base.pk, "status": FaqBase.Status.PUBLISHED, "version": 2}
    assert FaqVersion.objects.count() == 2
    entry.refresh_from_db()
    assert entry.status == S.RETIRED
    assert post(author, f"entries/{entry.pk}/restore/").json()["status"] == S.NEW


def test_a_reader_may_not_withdraw_and_nothing_changes(demo_base, make_staff):
    reader = signed_in(make_staff, roles.AUDITOR)
    entry = FaqEntry.objects.get(key="FAQ-0003")
    assert reader.get(f"/questions/api/faq/entries/{entry.pk}/").status_code == 200

    assert post(reader, f"entries/{entry.pk}/withdraw/").status_code == 403
    assert post(reader, f"base/{FaqBase.load().pk}/publish/").status_code == 403
    entry.refresh_from_db()
    assert entry.status == S.PUBLISHED and FaqVersion.objects.count() == 1


def test_a_refused_transition_answers_409_with_the_one_error_shape(demo_base, make_staff):
    author = signed_in(make_staff, roles.PR_AUTHOR)
    entry = FaqEntry.objects.get(key="FAQ-0003")

    restore = post(author, f"entries/{entry.pk}/restore/")  # 公開中: nothing to restore
    publish = post(author, f"base/{FaqBase.load().pk}/publish/")  # nothing changed since 第1版

    for response in (restore, publish):
        assert response.status_code == 409
        assert set(response.json()) == {"detail", "code", "details"} and response.json()["code"] == "invalid_state"
    assert publish.json()["detail"] == ["公開していない変更はありません。"]
    entry.refresh_from_db()
    assert entry.status == S.PUBLISHED and FaqVersion.objects.count() == 1


def test_readers_list_entries_without_feedback_counts(demo_base, make_staff):
    FaqEntry.objects.filter(key="FAQ-0003").update(helpful=57, not_helpful=3)
    reader = signed_in(make_staff, roles.WASTE)

    response = reader.get("/questions/api/faq/entries/?status=published")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(row["status"] == S.PUBLISHED for row in rows)
    assert not {"helpful", "not_helpful"} & set(rows[0])
    assert signed_in(make_staff, roles.ROAD).get("/questions/api/faq/entries/").status_code == 403
