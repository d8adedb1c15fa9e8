"""Chat flows: the registry through which features (受信設定, 通報, 粗大ごみ …) take part in
residents' LINE conversations, without the LINE layer importing any feature.

A feature registers a flow from its ``AppConfig.ready()``::

    from portal.line import chat
    chat.register_flow(RoadReportFlow())

For each message or postback event the dispatcher (``portal.line.dispatcher``) does, in order:
1. 「キャンセル」 while a conversation is active: ends it and says so;
2. the first registered flow whose ``matches(event)`` is true (its trigger word or postback):
   ``flow.start(ctx)`` (any active conversation is replaced);
3. an active, unexpired conversation: ``flow.handle(ctx)`` of the flow that owns it;
4. otherwise the default help reply.
Messages a flow queues with ``ctx.reply`` are sent with the event's reply token (or pushed
when the token is gone). Conversation state is stored in ``Conversation`` rows, so it
survives restarts, and expires ``CONVERSATION_TTL`` after the last step.
"""

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl

from django.db import transaction
from django.utils import timezone

from portal.db import insert_returning, mark_saved

from .models import Conversation, Resident

logger = logging.getLogger(__name__)

CONVERSATION_TTL = timedelta(minutes=30)
T = TypeVar("T")


@dataclass
class ChatEvent:
    """A webhook event, reduced to what flows need."""

    kind: str  # text | postback | image | location | sticker | video | audio | file | follow | unfollow
    reply_token: str = ""
    text: str = ""
    postback_data: str = ""
    postback_params: dict = field(default_factory=dict)  # e.g. {"date": "2026-12-01"} from a datetime picker
    message_id: str = ""  # image / video / audio / file messages: id for the content endpoint
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    title: str = ""
    timestamp_ms: int = 0
    mark_as_read_token: str = ""  # message events: marks the message read (``chatroom.mark_read``)

    @property
    def postback(self) -> dict:
        """Postback data parsed as a query string (``flow=road&step=category&value=3``)."""
        return dict(parse_qsl(self.postback_data)) if self.postback_data else {}


class ChatBatch:
    """What the events of one batch share (they are applied in one transaction): the
    residents who sent them, and a memo where a feature keeps what it reads once per batch
    instead of once per event (a version check, a set-based read for these residents).
    A memo lives only as long as its batch, so whatever another process committed before
    the batch began is seen by it; a feature whose own writes change what it memoised
    updates the value it got (a set, a dict) in place."""

    def __init__(self, resident_ids: Collection[int] = ()) -> None:
        self.resident_ids: frozenset[int] = frozenset(resident_ids)
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, load: Callable[[], T]) -> T:
        """``load()``'s value, computed the first time ``key`` is asked for in this batch
        (keys are the feature's own: ``"<app>.<what>"``)."""
        if key not in self._memo:
            self._memo[key] = load()
        value: T = self._memo[key]
        return value


class ChatContext:
    """What a flow sees and can do while handling one event."""

    def __init__(
        self, *, resident: Resident, event: ChatEvent, conversation: Conversation | None, batch: ChatBatch | None = None
    ) -> None:
        self.resident = resident
        self.event = event
        self.conversation = conversation
        # The event's batch (``dispatcher.Prefetched``); an event handled on its own is a batch of one.
        self.batch = batch if batch is not None else ChatBatch(resident_ids=(resident.pk,) if resident.pk else ())
        self.replies: list[dict] = []
        # Kept in the chat log (``chatroom``) for staff: set for every message that reaches
        # the answerers, or by a flow that wants its exchange readable by staff.
        self.in_chat_log = False

    def keep_in_chat_log(self) -> None:
        """Keep this event and the replies to it in the resident's chat log (what the staff
        inbox shows). Messages that reach the answerers are kept anyway."""
        self.in_chat_log = True

    def show_loading(self, seconds: int = 60) -> None:
        """Show LINE's loading animation in the resident's chat once this event's
        transaction commits (5–60 s, a multiple of 5; it ends when the bot's next message
        arrives): for a message whose answer takes a while, e.g. one staff will answer."""
        from . import chatroom

        chatroom.check_loading_seconds(seconds)
        resident = self.resident
        transaction.on_commit(lambda: chatroom.show_loading(resident=resident, seconds=seconds))

    # -- replies --------------------------------------------------------------------
    def reply(self, *messages: dict) -> None:
        """Queue LINE message objects (dicts in the Messaging API's JSON shape)."""
        self.replies.extend(messages)

    # -- state ------------------------------------------------------------------------
    @property
    def step(self) -> str:
        return self.conversation.step if self.conversation else ""

    @property
    def data(self) -> dict:
        return self.conversation.data if self.conversation else {}

    def start(self, flow: str, step: str, **data: Any) -> None:
        """Begin (or restart) a conversation owned by ``flow``."""
        now = timezone.now()
        conversation = Conversation(
            resident=self.resident, flow=flow, step=step, data=data, updated_at=now, expires_at=now + CONVERSATION_TTL
        )
        # One INSERT … ON CONFLICT (resident) DO UPDATE … RETURNING id: the resident's one
        # conversation is replaced whether or not it exists (a chat's hot path: no SELECT …
        # FOR UPDATE and savepoint of update_or_create).
        ((pk,),) = insert_returning([conversation], conflict=["resident"], update=True)
        mark_saved(conversation, pk)
        self.conversation = conversation

    def advance(self, step: str, **data: Any) -> None:
        """Move to ``step``, merging ``data`` into the stored state; renews the expiry."""
        if self.conversation is None:
            raise RuntimeError("no active conversation")
        now = timezone.now()
        self.conversation.step = step
        self.conversation.data = {**self.conversation.data, **data}
        self.conversation.updated_at = now
        self.conversation.expires_at = now + CONVERSATION_TTL
        self.conversation.save(update_fields=["step", "data", "updated_at", "expires_at"])

    def lock_conversation(self) -> bool:
        """Re-read the stored conversation under a row lock held until the event's
        transaction commits: events of one resident handled at once on several workers
        (photos sent together) then take turns, and none overwrites another's step or data.
        Returns False when no conversation is stored (nothing to lock; state unchanged)."""
        if self.conversation is None or not self.conversation.pk:
            return False
        fresh = Conversation.objects.select_for_update().filter(pk=self.conversation.pk).values_list("data", "step").first()
        if fresh is None:
            return False
        self.conversation.data, self.conversation.step = fresh
        return True

    def end(self) -> None:
        if self.conversation is not None and self.conversation.pk:
            self.conversation.delete()
        self.conversation = None


class ChatFlow(Protocol):
    name: str  # stored in Conversation.flow; unique among flows

    def matches(self, event: ChatEvent) -> bool:
        """True when ``event`` is this flow's trigger (a keyword or its postback)."""

    def start(self, ctx: ChatContext) -> None:
        """Begin the flow: usually ``ctx.start(self.name, "first-step")`` and a question."""

    def handle(self, ctx: ChatContext) -> None:
        """Handle an event in this flow's active conversation (``ctx.step``). Unexpected
        input (a sticker, a photo where text is expected) gets a re-prompt, never an error."""


_flows: list[tuple[int, ChatFlow]] = []


def register_flow(flow: ChatFlow, *, priority: int = 100) -> None:
    """Register ``flow``; lower ``priority`` is asked first by ``matches``."""
    if any(existing.name == flow.name for _p, existing in _flows):
        return
    _flows.append((priority, flow))
    _flows.sort(key=lambda item: item[0])


def flows() -> list[ChatFlow]:
    return [flow for _p, flow in _flows]


def flow_named(name: str) -> ChatFlow | None:
    return next((flow for flow in flows() if flow.name == name), None)


# -- answerers: what a message no flow expects goes through -------------------------------
# A message that starts no flow and continues no conversation is offered to the answerers,
# lowest ``priority`` first (e.g. the ごみ分別 dictionary, then the FAQ, then the staff
# inbox, which takes everything). The first that returns True has answered (it replied
# through ``ctx`` or took the message for staff); when none does, the generic fallback reply.
Answerer = Callable[[ChatContext], bool]
_answerers: list[tuple[int, str, Answerer]] = []
_warm_ups: list[tuple[str, Callable[[], object]]] = []


def register_answerer(name: str, answerer: Answerer, *, priority: int = 100, warm_up: Callable[[], object] | None = None) -> None:
    """Register ``answerer`` under ``name`` (registering a name twice keeps the first).
    ``warm_up()``: loads into this process what the answerer answers from (its indexes),
    so that ``answerers_warm_up`` can load it before a worker forks its pool."""
    if any(existing == name for _p, existing, _a in _answerers):
        return
    _answerers.append((priority, name, answerer))
    _answerers.sort(key=lambda item: item[0])
    if warm_up is not None:
        _warm_ups.append((name, warm_up))


def answerers_warm_up() -> list[str]:
    """Run the answerers' warm-ups in this process; returns the names of those that ran.
    A chat worker's main process calls this before it forks its pool (``tasks``), so every
    pool process starts with the indexes instead of building its own on its first message
    (the FAQ index cost each one about 2 s of CPU). One that fails is logged and skipped:
    its answerer then loads on first use, as it would without."""
    done = []
    for name, warm_up in _warm_ups:
        try:
            warm_up()
        except Exception as exc:  # noqa: BLE001 - an optimisation: the answerer loads on first use instead
            logger.warning("answerer %s: warm-up failed (%s); it loads on first use", name, type(exc).__name__)
            continue
        done.append(name)
    return done


def answerers() -> list[tuple[str, Answerer]]:
    return [(name, answerer) for _p, name, answerer in _answerers]


def answerer_named(name: str) -> Answerer | None:
    """An answerer by name: e.g. the FAQ's 「職員に聞く」 hands over to ``"inbox"``."""
    return next((a for n, a in answerers() if n == name), None)


# -- small builders for LINE message objects --------------------------------------------
def is_trigger(event: ChatEvent, words: Collection[str], flow: str, actions: Collection[str] | None = None) -> bool:
    """A flow's usual trigger: one of ``words`` as a message, or the flow's own postback
    (``flow=<flow>``, with an ``action`` among ``actions``; any action when None)."""
    if event.kind == "text":
        return event.text.strip() in words
    if event.kind == "postback":
        data = event.postback
        return data.get("flow") == flow and (actions is None or data.get("action") in actions)
    return False


def text_length(text: str) -> int:
    """A text's length as LINE counts it for its 5,000 limit: UTF-16 code units (an emoji
    outside the BMP counts 2, as JavaScript's ``length`` does)."""
    return len(text.encode("utf-16-le")) // 2


def text_message(text: str, quick_replies: list[dict] | None = None) -> dict:
    message: dict = {"type": "text", "text": text}
    if quick_replies:
        message["quickReply"] = {"items": quick_replies[:13]}
    return message


def quick_postback(label: str, data: str, display_text: str | None = None) -> dict:
    """A quick-reply button that sends a postback (label: at most 20 characters)."""
    action: dict = {"type": "postback", "label": label[:20], "data": data}
    if display_text:
        action["displayText"] = display_text
    return {"type": "action", "action": action}


def quick_message(label: str, text: str | None = None) -> dict:
    return {"type": "action", "action": {"type": "message", "label": label[:20], "text": text or label}}


def quick_location(label: str = "位置情報を送る") -> dict:
    return {"type": "action", "action": {"type": "location", "label": label[:20]}}


def quick_camera(label: str = "カメラ") -> dict:
    return {"type": "action", "action": {"type": "camera", "label": label[:20]}}


def quick_camera_roll(label: str = "写真を選ぶ") -> dict:
    return {"type": "action", "action": {"type": "cameraRoll", "label": label[:20]}}
