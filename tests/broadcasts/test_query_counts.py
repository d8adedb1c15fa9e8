"""Exact query counts of the pages and API endpoints that list broadcasts: a list costs
the same number of queries whatever its length (each row's progress, bubbles and content
version come from set-based queries, not one query per row). On failure the queries are
printed, numbered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from broadcasts import privacy, selectors
from broadcasts.models import Batch, Broadcast, BroadcastImage, Bubble

pytestmark = pytest.mark.django_db

S = Broadcast.Status


@contextmanager
def exact_queries(expected: int) -> Iterator[CaptureQueriesContext]:
    """Exactly ``expected`` queries inside the block; else every query, numbered."""
    with CaptureQueriesContext(connection) as captured:
        yield captured
    sqls = [q["sql"] for q in captured.captured_queries]
    listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(sqls, 1))
    assert len(sqls) == expected, f"{len(sqls)} queries, expected {expected}:\n{listing}"


def _rows(author, area, *, copies: int) -> None:
    """``copies`` broadcasts of every state (a segment, so waiting ones show an estimate),
    plus an emergency one; sending and finished ones with batches, one with an image."""
    now = timezone.now()
    image = BroadcastImage.objects.create(uploaded_by=author)
    for _ in range(copies):
        for status in S.values:
            started = status in {S.SENDING, S.DONE, S.PARTIAL}
            b = Broadcast.objects.create(
                title=f"一覧 {status}",
                author=author,
                status=status,
                audience=Broadcast.Audience.SEGMENT,
                area_ids=[area.pk],
                started_at=now if started else None,
                finished_at=now if status in {S.DONE, S.PARTIAL, S.CANCELLED} else None,
                recipients_total=1200 if started else 0,
                recipients_noisy=1210 if started else None,
            )
            Bubble.objects.create(broadcast=b, position=0, text="お知らせです")
            Bubble.objects.create(broadcast=b, position=1, type=Bubble.Type.IMAGE, image=image)
            if started:
                done = Batch.Status.FAILED if status == S.PARTIAL else Batch.Status.DONE
                open_ = Batch.Status.PENDING if status == S.SENDING else Batch.Status.DONE
                Batch.objects.create(broadcast=b, number=0, size=500, status=Batch.Status.DONE)
                Batch.objects.create(broadcast=b, number=1, size=500, status=done)
                Batch.objects.create(broadcast=b, number=2, size=200, status=open_)
        Broadcast.objects.create(title="緊急", author=author, kind=Broadcast.Kind.EMERGENCY, status=S.PENDING)


# Session, staff member, their roles (3 queries: groups, own and roles' permissions), the
# count for the paginator, the page's rows (authors and approvers joined); then one query
# each for all rows' bubbles with their images, all rows' batch counts, and the latest
# release for all estimates.
LIST_API_QUERIES = 10
# The page: the same five for the staff member, then its rows (authors joined).
LIST_PAGE_QUERIES = 6


@pytest.fixture
def listing(client, author, segment_world, make_residents):
    """``listing(url_name, queries, copies)``: the list with ``copies`` of every row,
    fetched in exactly ``queries`` queries."""
    make_residents(60, area=segment_world.areas[0])
    privacy.release_publish()  # the release every estimate reads (published once, not per request)
    privacy.estimate(selectors.Segment())  # and loaded once per process
    client.force_login(author)
    client.get(reverse("broadcasts:list"))  # the session's first request settles it

    def get(name: str, queries: int, copies: int):
        _rows(author, segment_world.areas[0], copies=copies)
        with exact_queries(queries):
            response = client.get(reverse(name))
        assert response.status_code == 200
        return response

    return get


@pytest.mark.parametrize("copies", [1, 3])
def test_the_list_api_costs_the_same_queries_for_any_number_of_rows(listing, copies):
    rows = listing("broadcasts:api_list", LIST_API_QUERIES, copies).json()["results"]
    assert len(rows) == copies * (len(S.values) + 1)
    phases = {row["progress"]["phase"] for row in rows}
    assert phases == {"waiting", "sending", "done", "partial", "cancelled"}
    assert all(row["version"] and len(row["bubbles"]) == 2 for row in rows if row["kind"] == "normal")


@pytest.mark.parametrize("copies", [1, 3])
def test_the_list_page_costs_the_same_queries_for_any_number_of_rows(listing, copies):
    page = listing("broadcasts:list", LIST_PAGE_QUERIES, copies).content.decode()
    assert page.count("一覧 ") == copies * len(S.values)
