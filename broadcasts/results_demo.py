"""Demo results (idempotent): broadcasts sent over the last months with what LINE counted,
and LINE's friends per day, so the detail pages and the results dashboard show realistic
figures at once (new sends get theirs from the emulator through the beat job)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

SENT = [
    # (days ago, title, recipients, text)
    (150, "夏の熱中症予防のお願い", 8200, "暑い日が続きます。こまめな水分補給を。 https://www.city.example.jp/heat"),
    (120, "花火大会の交通規制", 7600, "当日は交通規制があります。 https://www.city.example.jp/hanabi"),
    (95, "インフルエンザ予防接種の受付開始", 9100, "予約はこちら https://www.city.example.jp/flu"),
    (70, "市民まつりのご案内", 6800, "今年も市民まつりを開催します。 https://www.city.example.jp/matsuri"),
    (40, "年末年始のごみ収集日", 10400, "年末年始は収集日が変わります。 https://www.city.example.jp/gomi"),
    (12, "子育て応援イベントのお知らせ", 2300, "市民センターで開催します。 https://www.city.example.jp/kosodate"),
    (3, "小さな地区への工事のお知らせ", 60, "水道工事のため断水します。"),
]


def load_results_demo(say: Callable[[str], None]) -> None:
    from django.utils import timezone

    from portal import demo

    from .models import Batch, Broadcast, BroadcastResult, Bubble, FriendsDay

    staff = demo.staff_for(say, "broadcast results", BroadcastResult, "pr@city.example.jp")
    if staff is None:
        return
    [author] = staff
    rng = random.Random(15)
    now = timezone.now()
    for days, title, recipients, text in SENT:
        finished = now - timedelta(days=days)
        b = Broadcast.objects.create(
            title=title, audience=Broadcast.Audience.ALL, status=Broadcast.Status.DONE, author=author, approver=author,
            recipients_total=recipients, recipients_noisy=recipients + rng.randint(-8, 8), submitted_at=finished,
            approved_at=finished, started_at=finished, finished_at=finished,
            line_payload=[{"type": "text", "text": text}],
        )  # fmt: skip
        Broadcast.objects.filter(pk=b.pk).update(created_at=finished)
        Bubble.objects.create(broadcast=b, position=0, text=text)
        Batch.objects.bulk_create(
            [Batch(broadcast=b, number=n, size=min(500, recipients - 500 * n), status=Batch.Status.DONE, sent_at=finished,
                   line_user_ids=[]) for n in range((recipients + 499) // 500)]
        )  # fmt: skip
        opened = int(recipients * rng.uniform(0.52, 0.68))
        clicked = int(recipients * rng.uniform(0.05, 0.11)) if "https://" in text else None
        url = text.split()[-1] if clicked else ""
        BroadcastResult.objects.create(
            broadcast=b,
            state=BroadcastResult.State.FINAL if days > 14 else BroadcastResult.State.READY,
            opened=opened if opened >= 20 else None,
            clicked=clicked,
            per_bubble=[{"seq": 1, "opened": opened if opened >= 20 else None}],
            per_url=[{"seq": 1, "url": url, "clicked": clicked}] if clicked else [],
            fetched_at=min(now, finished + timedelta(days=14)),
            next_fetch_at=finished + timedelta(days=14),
        )
    today = timezone.localdate()
    friends = 10600
    rows = []
    for back in range(90, 0, -1):
        friends += rng.randint(-3, 30)
        rows.append(FriendsDay(day=today - timedelta(days=back), followers=friends, targeted_reaches=int(friends * 0.83),
                               blocks=int(friends * 0.07), fetched_at=now))  # fmt: skip
    FriendsDay.objects.bulk_create(rows, ignore_conflicts=True)
    say(f"broadcast results: {len(SENT)} sent broadcasts with LINE's figures, 90 days of friends")
