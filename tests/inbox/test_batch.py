"""Messages for staff processed as a batch (one webhook body, as a worker takes them): each
resident's conversation is opened once and told once, and the queries a batch makes grow by a
fixed few per message (the answerers read what they need once per batch)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.inbox.chat import received_text
from intake.inbox.models import Inquiry
from portal.line import webhook
from portal.line.devtools import simulate
from portal.line.models import ChatLogEntry

QUESTION = "市民プールは年末も開いていますか？"


def _process(line_emulator, events: list[dict]) -> list[str]:
    """Process ``events`` as one batch; returns the queries it made."""
    for event in events:
        line_emulator.state.add_reply_token(event["replyToken"], event["source"]["userId"])
    ids = webhook.webhook_events_store(events=events)
    with CaptureQueriesContext(connection) as queries:
        assert webhook.webhook_events_process(event_ids=ids) == len(events)
    return [q["sql"] for q in queries.captured_queries]


def test_a_batch_opens_each_residents_conversation_once_and_tells_them_once(db, line_emulator):
    first, second = simulate.user_id_for("batch-1"), simulate.user_id_for("batch-2")
    events = [
        simulate.text_event(first, QUESTION),
        simulate.text_event(second, QUESTION),
        simulate.text_event(first, "追加です。温水プールの方です"),
    ]
    for event in events:
        line_emulator.state.add_reply_token(event["replyToken"], event["source"]["userId"])
    assert webhook.webhook_events_process(event_ids=webhook.webhook_events_store(events=events)) == 3
    assert Inquiry.objects.filter(resident__line_user_id=first).count() == 1
    assert Inquiry.objects.filter(resident__line_user_id=second).count() == 1
    assert line_emulator.received_texts(first) == [received_text()]
    assert line_emulator.received_texts(second) == [received_text()]
    log = ChatLogEntry.objects.filter(resident__line_user_id=first).order_by("created_at", "pk")
    assert list(log.values_list("direction", "text")) == [
        ("in", QUESTION),
        ("out", received_text()),
        ("in", "追加です。温水プールの方です"),
    ]


def test_each_message_for_staff_costs_a_fixed_few_queries(db, line_emulator):
    # Per message: the conversation opened for staff (one INSERT) and the chat's state;
    # everything else (the claim, residents, conversations, what the
    # answerers answer from, who has an open conversation, the chat log) once per batch.
    _process(line_emulator, [simulate.text_event(simulate.user_id_for("first"), QUESTION)])  # the indexes are built
    two = _process(line_emulator, [simulate.text_event(simulate.user_id_for(f"few-{i}"), QUESTION) for i in range(2)])
    six = _process(line_emulator, [simulate.text_event(simulate.user_id_for(f"many-{i}"), QUESTION) for i in range(6)])
    listing = "\n".join(f"{n}. {sql[:200]}" for n, sql in enumerate(six, 1))
    assert len(six) - len(two) == 4 * 2, f"{len(two)} queries for 2 messages, {len(six)} for 6:\n{listing}"


def test_a_batch_reads_its_senders_and_what_the_answerers_need_once(db, line_emulator):
    # Whatever the batch's size: the claim (SQLite: two statements), the senders with their
    # conversations (one SELECT), the new ones (one INSERT … RETURNING), what the answerers
    # answer from, who has an open conversation, the chat log; in a test's transaction, the
    # batch's savepoint and its release.
    _process(line_emulator, [simulate.text_event(simulate.user_id_for("first-reads"), QUESTION)])  # the indexes are built
    three = _process(line_emulator, [simulate.text_event(simulate.user_id_for(f"reads-{i}"), QUESTION) for i in range(3)])
    listing = "\n".join(f"{n}. {sql[:200]}" for n, sql in enumerate(three, 1))
    per_batch = 8 + (1 if connection.vendor == "sqlite" else 0)
    assert len(three) - 3 * 2 == per_batch, f"{len(three)} queries for 3 messages:\n{listing}"
    assert Inquiry.objects.filter(resident__line_user_id__in=[simulate.user_id_for(f"reads-{i}") for i in range(3)]).count() == 3
    for i in range(3):
        assert line_emulator.received_texts(simulate.user_id_for(f"reads-{i}")) == [received_text()]
