"""Demo data for the staff inbox: a few conversations in each state, with what the residents
wrote and what the bot answered (the LINE layer's chat log), staff replies and a note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from portal.line.models import ChatLogEntry, Resident

from .models import Inquiry, InquiryEntry, Team

# (hours ago, status, team, [(who, text)]) — who: r resident, b bot, s staff reply, n note
CONVERSATIONS = [
    (1, "new", Team.GENERAL, [("r", "市民プールは年末年始も開いていますか？"), ("b", "received")]),
    (3, "new", Team.WASTE, [("r", "集積所のカラスよけネットが破れています。交換してもらえますか"), ("b", "received")]),
    (
        26,
        "open",
        Team.ROADS,
        [
            ("r", "家の前の街灯が昨日から点いていません"),
            ("b", "received"),
            ("n", "街灯番号の確認が必要。道路維持課で現地確認を手配"),
            ("s", "ご連絡ありがとうございます。担当課で現地を確認します。確認でき次第、このトークでお知らせします。"),
        ],
    ),
    (
        50,
        "done",
        Team.GENERAL,
        [
            ("r", "児童手当の申請に必要な書類を教えてください。うちは事情があって…"),
            ("b", "received"),
            (
                "s",
                "LINEでは個人情報や機微な相談は受け付けていません。お手数ですが、子育て支援課（電話 092-000-0000、"
                "平日8時30分〜17時15分）へお電話いただくか、窓口へお越しください。",
            ),
        ],
    ),
]


def load_demo(say: Callable[[str], None]) -> None:
    from .chat import received_text

    if Inquiry.objects.exists():
        return
    residents = list(Resident.objects.filter(status=Resident.Status.ACTIVE).order_by("pk")[: len(CONVERSATIONS)])
    now = timezone.now()
    made = 0
    for resident, (hours, status, team, lines) in zip(residents, CONVERSATIONS, strict=False):
        opened = now - dt.timedelta(hours=hours)
        inquiry = Inquiry.objects.create(
            resident=resident,
            status=status,
            team=team,
            opened_at=opened,
            last_message_at=opened,
            updated_at=opened,
            unread=status == "new",
            closed_at=opened + dt.timedelta(hours=2) if status == "done" else None,
        )
        for index, (who, text) in enumerate(lines):
            at = opened + dt.timedelta(minutes=5 * index)
            if who in ("r", "b"):
                ChatLogEntry.objects.create(
                    resident=resident,
                    direction=ChatLogEntry.Direction.RESIDENT if who == "r" else ChatLogEntry.Direction.BOT,
                    kind="text",
                    text=received_text() if text == "received" else text,
                    reply_token_spent=True,
                    read_at=at if status != "new" and who == "r" else None,
                    created_at=at,
                )
            else:
                InquiryEntry.objects.create(
                    inquiry=inquiry,
                    kind=InquiryEntry.Kind.REPLY if who == "s" else InquiryEntry.Kind.NOTE,
                    text=text,
                    delivery=InquiryEntry.Delivery.PUSH if who == "s" else "",
                    created_at=at,
                )
        made += 1
    say(f"問い合わせ: {made}件")
