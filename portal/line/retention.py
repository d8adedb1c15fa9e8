"""Retention of the LINE layer's stores of residents' personal data: webhook events,
outbound pushes, chat conversations and blocked residents. Each purge here is set-based
(UPDATE/DELETE … WHERE …, in batches of primary keys), idempotent, and registered with
``portal.retention`` (which runs them hourly and audits their counts)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.retention import Store, delete, delete_older, in_batches

from .models import ChatLogEntry, Conversation, LineSettings, OutboundMessage, Resident, ResidentAnswer, WebhookEvent


def webhook_events_purge(cutoff: dt.datetime) -> dict[str, int]:
    """A processed event's payload is emptied when it is processed (only its
    ``webhookEventId`` is needed, to recognise LINE's redeliveries); this catches any
    left over, empties the payload of events that never got processed after
    ``RETENTION_WEBHOOK_UNPROCESSED_DAYS``, and deletes every event received before
    ``cutoff``."""
    now = timezone.now()
    unprocessed_cutoff = now - dt.timedelta(days=settings.RETENTION_WEBHOOK_UNPROCESSED_DAYS)
    with_payload = WebhookEvent.objects.exclude(payload={})
    blanked = in_batches(with_payload.filter(state=WebhookEvent.State.DONE), lambda qs: qs.update(payload={})) + in_batches(
        with_payload.exclude(state=WebhookEvent.State.DONE).filter(received_at__lt=unprocessed_cutoff),
        lambda qs: qs.update(payload={}, state=WebhookEvent.State.FAILED, error="expired"),
    )
    deleted = in_batches(WebhookEvent.objects.filter(received_at__lt=cutoff), delete)
    return {"payloads_emptied": blanked, "deleted": deleted}


# Pushes (their text may repeat what the resident typed), whatever their status: one still
# queued that long ago will never go.
outbound_messages_purge = delete_older(OutboundMessage, "created_at")
# Chat conversations that expired: abandoned flows keep what the resident typed (an address)
# until this runs.
conversations_purge = delete_older(Conversation, "expires_at", inclusive=True)
# Chat-log lines: what residents wrote that no flow expected, the bot's answers, their
# markAsRead and reply tokens.
chat_log_purge = delete_older(ChatLogEntry, "created_at")


def residents_purge_blocked(cutoff: dt.datetime) -> dict[str, int]:
    """Blank the personal fields of residents blocked before ``cutoff``. The row stays
    (its LINE user ID replaced by an anonymous token), so counts and feature records that
    point at it survive; their outbound pushes and conversation go with it."""
    now = timezone.now()
    due = Resident.objects.filter(status=Resident.Status.BLOCKED, blocked_at__lte=cutoff, purged_at__isnull=True)
    pushes = in_batches(OutboundMessage.objects.filter(resident__in=due), delete)
    conversations = in_batches(Conversation.objects.filter(resident__in=due), delete)
    chat_log = in_batches(ChatLogEntry.objects.filter(resident__in=due), delete)
    # Their answers to the admin-defined dimensions (性別, 子どもの年代 …) go with the rest.
    answers = in_batches(ResidentAnswer.objects.filter(resident__in=due), delete)
    purged = in_batches(
        due,
        lambda qs: qs.update(
            line_user_id=Concat(Value("purged-"), Cast(F("pk"), output_field=CharField())),
            display_name="",
            age_band="",
            area=None,
            interest_bits=0,
            consented_at=None,
            language="",
            purged_at=now,
        ),
    )
    return {
        "residents": purged,
        "outbound_deleted": pushes,
        "conversations_deleted": conversations,
        "chat_log_deleted": chat_log,
        "answers_deleted": answers,
    }


def blocked_retention_days() -> int:
    return LineSettings.current().blocked_retention_days


STORES = (
    Store(
        key="line.webhook_events",
        label=_("LINEから受信したイベント"),
        holds=_("住民のLINEユーザーID、送られたメッセージの文面・位置情報・画像のID"),
        action=_(
            "処理が終わった時点で内容を消去し、重複受信の判定に使うイベントIDだけを残します。"
            "処理できなかったイベントの内容も一定日数後に消去し、保存期間を過ぎた記録は行ごと削除します。"
        ),
        period_days=lambda: settings.RETENTION_WEBHOOK_EVENT_DAYS,
        purge=webhook_events_purge,
    ),
    Store(
        key="line.outbound_messages",
        label=_("住民への個別送信の記録"),
        holds=_("送信先の住民、送った文面（受付内容の確認など）"),
        action=_("保存期間を過ぎた送信記録を文面ごと削除します。"),
        period_days=lambda: settings.RETENTION_OUTBOUND_MESSAGE_DAYS,
        purge=outbound_messages_purge,
    ),
    Store(
        key="line.conversations",
        label=_("チャットの入力途中の内容"),
        holds=_("住民が入力途中の回答（住所・目印、電話番号など）"),
        action=_("入力が30分止まると期限切れになり、期限切れの会話を次回の削除処理（1時間ごと）で削除します。"),
        period_days=lambda: settings.RETENTION_CONVERSATION_DAYS,
        purge=conversations_purge,
    ),
    Store(
        key="line.chat_log",
        label=_("チャットの記録（職員対応用）"),
        holds=_("住民が送った、どの手続きにも当たらないメッセージの文面と、それへの自動応答（既読・応答用のトークン）"),
        action=_("保存期間を過ぎた行を削除します。ブロックした住民の記録は、その住民の個人情報と一緒に削除します。"),
        period_days=lambda: settings.RETENTION_CHAT_LOG_DAYS,
        purge=chat_log_purge,
    ),
    Store(
        key="line.residents",
        label=_("ブロックした住民"),
        holds=_(
            "LINEユーザーID、表示名、受信設定の回答（年代・地域・関心分野、性別・子どもの年代・校区など管理者が追加した属性）"
        ),
        action=_(
            "ブロックから期間（LINE設定で変更できます）を過ぎると、LINEユーザーID・表示名・属性を消去し、"
            "その住民への送信記録・会話・チャットの記録も削除します。件数の集計用に匿名の行だけが残ります。"
        ),
        period_days=blocked_retention_days,
        purge=residents_purge_blocked,
    ),
)
