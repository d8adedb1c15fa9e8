"""ChatContext's conversation state: start replaces the resident's one conversation (new or
existing) and the stored row is the one the context goes on with."""

from portal.line import chat
from portal.line.models import Conversation, Resident


def test_start_creates_then_replaces_the_one_conversation_and_advance_updates_it(db):
    resident = Resident.objects.create(line_user_id="U" + "e" * 32)
    event = chat.ChatEvent(kind="text", text="x")
    first = chat.ChatContext(resident=resident, event=event, conversation=None)
    first.start("road", "category", a=1)
    assert first.conversation is not None and first.conversation.pk
    again = chat.ChatContext(resident=resident, event=event, conversation=None)  # e.g. a stale read
    again.start("prefs", "age", b=2)
    assert again.conversation is not None and again.conversation.pk == first.conversation.pk
    again.advance("area", c=3)
    (stored,) = Conversation.objects.filter(resident=resident)
    assert (stored.flow, stored.step, stored.data) == ("prefs", "area", {"b": 2, "c": 3})
    assert again.lock_conversation() and again.step == "area"
    again.end()
    assert not Conversation.objects.exists()
