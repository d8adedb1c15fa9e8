"""The workflow table (broadcasts/workflow.py) is what the pages and the API obey: the
detail page offers exactly the buttons the table allows in each state, and an action the
table does not allow from a state is refused by the page and the API alike, naming it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from broadcasts.models import Broadcast, Bubble
from broadcasts.workflow import WORKFLOW, transitions

pytestmark = pytest.mark.django_db

S = Broadcast.Status

# Button (the form's action URL) → the table's action it runs, as each role sees it.
AUTHOR_BUTTONS = ["submit", "send", "delete", "cancel"]
APPROVER_BUTTONS = ["approve", "return"]


def _broadcast(status: str, author) -> Broadcast:
    b = Broadcast.objects.create(title="状態の確認", author=author, status=status)
    Bubble.objects.create(broadcast=b, position=0, text="お知らせです")
    return b


@pytest.mark.parametrize("status", S.values)
def test_the_detail_page_offers_the_buttons_the_table_allows(client, author, approver, make_staff, status):
    b = _broadcast(status, make_staff(roles.PR_AUTHOR))  # written by someone else: the approver may approve
    client.force_login(author)
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    for name in AUTHOR_BUTTONS:
        assert (reverse(f"broadcasts:{name}", args=[b.pk]) in page) == (status in WORKFLOW.sources(name)), name
    assert (reverse("broadcasts:edit", args=[b.pk]) in page) == (status in WORKFLOW.sources("edit"))
    client.force_login(approver)
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    for name in APPROVER_BUTTONS:
        assert (reverse(f"broadcasts:{name}", args=[b.pk]) in page) == (status in WORKFLOW.sources(name)), name
    # 再送 waits, hidden, while sending (the live progress shows it if the send ends 一部失敗).
    assert (reverse("broadcasts:retry", args=[b.pk]) in page) == (status in {S.PARTIAL, S.SENDING})
    assert reverse("broadcasts:submit", args=[b.pk]) not in page  # never an author's button


def test_an_action_the_table_refuses_is_refused_by_page_and_api_naming_the_state(client, author):
    b = _broadcast(S.DONE, author)
    client.force_login(author)
    response = client.post(reverse("broadcasts:api_cancel", args=[b.pk]), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_state" and "「配信完了」の配信にはこの操作はできません" in body["detail"][0]
    response = client.post(reverse("broadcasts:cancel", args=[b.pk]), follow=True)
    assert "「配信完了」の配信にはこの操作はできません" in response.content.decode()
    response = client.post(reverse("broadcasts:delete", args=[b.pk]), follow=True)
    assert "削除できるのは下書きと差し戻しだけです" in response.content.decode()
    b.refresh_from_db()
    assert b.status == S.DONE


def test_every_state_but_the_final_ones_leads_somewhere():
    graph = transitions()
    assert set(graph) == set(S.values)
    for state, info in WORKFLOW.states.items():
        assert bool(graph[state]) != info.final, state
    # From every state a broadcast can reach an end (配信完了 or 中止).
    for start in S.values:
        seen, todo = {start}, [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        assert seen & {S.DONE, S.CANCELLED}, start


def test_retry_through_the_api_answers_with_the_broadcast(client, author, approver):
    """再送 returns how many batches it reopened; the API answers with the broadcast (the
    hand-wired endpoint took that count for a broadcast and failed with a server error)."""
    from broadcasts.models import Batch

    b = _broadcast(S.PARTIAL, author)
    Batch.objects.create(broadcast=b, number=0, size=1, status=Batch.Status.DONE, line_user_ids=["U" + "0" * 32])
    Batch.objects.create(broadcast=b, number=1, size=1, status=Batch.Status.FAILED, line_user_ids=["U" + "1" * 32])
    client.force_login(approver)
    response = client.post(reverse("broadcasts:api_retry", args=[b.pk]), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == b.pk and response.json()["status"] == S.SENDING
    assert b.batches.get(number=1).status == Batch.Status.PENDING
