"""Results per broadcast: LINE's statistics appear after a send (fan-out through the emulator,
the beat job, the detail page and API) and never as an exact count under 50; the job keeps
within LINE's rate limits (a 429 is retried later, no crash); the emulator's insight endpoints."""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from broadcasts import tasks
from broadcasts.models import Broadcast, BroadcastResult, FriendsDay
from tests.fixtures.broadcasts import approve_on_page

pytestmark = pytest.mark.django_db

LINK = "詳しくは https://www.city.example.jp/info をご覧ください"


def _admin(line_emulator, path, data=None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(line_emulator.url + path, data=body, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def _line_get(line_emulator, path, token):
    request = urllib.request.Request(line_emulator.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _send(client, approver, make_broadcast, area, run_on_commit, text=LINK) -> Broadcast:
    b = make_broadcast(areas=[area], to="pending", text=text)
    approve_on_page(client, approver, b, run_on_commit)
    assert b.status == Broadcast.Status.DONE
    return b


def _ints(value):
    """Every integer in an API answer (rates are floats, ids and versions are left out)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for k, v in value.items() for i in _ints(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ints(v)]
    return []


@pytest.fixture
def results_now(settings, line_emulator):
    settings.RESULTS_FIRST_DELAY = 0
    _admin(line_emulator, "/_emulator/insight", {"ready_delay": 0})


def test_results_appear_after_a_send(client, approver, make_broadcast, segment_world, make_residents, line_emulator,
                                     run_on_commit, results_now):  # fmt: skip
    area = segment_world.areas[0]
    make_residents(1130, area=area)
    b = _send(client, approver, make_broadcast, area, run_on_commit)
    # every multicast batch carried the broadcast's aggregation unit
    units = {tuple(r["body"].get("customAggregationUnits") or ()) for r in line_emulator.requests("multicast")}
    assert units == {(f"portal_broadcast_{b.pk}",)}
    # before the beat job: 集計中
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert 'id="results-waiting"' in page
    assert client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["results"]["state"] == "waiting"

    assert tasks.fetch_results.delay().get() == 1
    result = BroadcastResult.objects.get(broadcast=b)
    assert result.state == BroadcastResult.State.READY and result.opened and result.clicked

    api = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["results"]
    assert api["state"] == "ready"
    for key in ("delivered", "opened", "clicked"):
        assert api[key] is not None and api[key] % 10 == 0, key  # rounded figures
    assert 1000 <= api["delivered"] <= 1300
    assert 0.5 <= api["opened"] / api["delivered"] <= 0.7
    assert api["open_rate"] == round(100 * api["opened"] / api["delivered"], 1)  # from the rounded figures
    assert api["urls"][0]["url"] == "https://www.city.example.jp/info" and api["urls"][0]["figure"] % 10 == 0
    assert api["bubbles"][0]["figure"] == api["opened"]
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert f"約{api['opened']:,}人" in page and f"{api['open_rate']:.1f}%" in page
    assert f"{result.opened:,}人" not in page or result.opened == api["opened"]


def test_a_small_send_never_shows_an_exact_count(client, approver, make_broadcast, segment_world, make_residents,
                                                 line_emulator, run_on_commit, results_now):  # fmt: skip
    area = segment_world.areas[0]
    make_residents(60, area=area)
    b = _send(client, approver, make_broadcast, area, run_on_commit)
    tasks.fetch_results.delay().get()
    result = BroadcastResult.objects.get(broadcast=b)
    assert result.opened is not None and 20 <= result.opened < 50  # LINE knows an exact small number
    api = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()
    r = api["results"]
    assert r["state"] == "ready" and r["opened"] is None and r["opened_text"] == "50人未満"
    assert r["open_rate"] is None and r["click_rate"] is None
    assert all(i >= 50 for i in _ints(r)), "an exact count under 50 in the API"
    assert all(b["figure"] is None for b in r["bubbles"])
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    results_card = page[page.index('id="results"') : page.index("</section>", page.index('id="results"'))]
    assert "50人未満" in results_card
    cells = re.findall(r"<td[^>]*>(.*?)</td>", results_card)  # the figures (the note's 時点 time is not one)
    assert cells and not any(re.search(rf"(?<![\d,]){result.opened}(?![\d,])", c) for c in cells)
    assert "%" not in results_card  # no rate of a figure under 50


def test_nothing_until_line_has_counted(client, approver, make_broadcast, segment_world, make_residents,
                                        line_emulator, run_on_commit, settings):  # fmt: skip
    settings.RESULTS_FIRST_DELAY = 0
    _admin(line_emulator, "/_emulator/insight", {"ready_delay": 3600})
    area = segment_world.areas[0]
    make_residents(120, area=area)
    b = _send(client, approver, make_broadcast, area, run_on_commit)
    assert tasks.fetch_results.delay().get() == 0
    row = BroadcastResult.objects.get(broadcast=b)
    assert row.state == BroadcastResult.State.WAITING and row.fetched_at is None
    assert row.next_fetch_at > timezone.now() + timedelta(minutes=9)  # asked again later, not at once
    assert client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["results"]["state"] == "waiting"


def test_the_job_respects_the_rate_limit(client, approver, make_broadcast, segment_world, make_residents,
                                         line_emulator, run_on_commit, results_now):  # fmt: skip
    area = segment_world.areas[0]
    make_residents(120, area=area)
    b = _send(client, approver, make_broadcast, area, run_on_commit)
    _admin(line_emulator, "/_emulator/limits", {"insight_unit": [0, 3600]})  # LINE answers 429
    assert tasks.fetch_results.delay().get() == 0  # no crash
    row = BroadcastResult.objects.get(broadcast=b)
    assert row.error == "429" and row.fetched_at is None and row.next_fetch_at >= timezone.now() + timedelta(seconds=50)
    assert [r["status"] for r in line_emulator.requests("insight_unit")] == [429]
    _admin(line_emulator, "/_emulator/limits", {"insight_unit": [60, 3600]})
    from broadcasts import results

    run = results.results_fetch_due(now=timezone.now() + timedelta(minutes=2))
    assert run.fetched == 1
    assert BroadcastResult.objects.get(broadcast=b).state == BroadcastResult.State.READY


def test_the_shared_bucket_keeps_under_lines_limit(client, approver, make_broadcast, segment_world, make_residents,
                                                   line_emulator, run_on_commit, results_now, settings):  # fmt: skip
    """More due results than the bucket's burst: the run stops at the bucket, LINE never says 429."""
    settings.LINE_RATE_LIMITS = {**settings.LINE_RATE_LIMITS, "insight_unit": {"rate": 50, "per": 3600.0, "burst": 2}}
    area = segment_world.areas[0]
    make_residents(60, area=area)
    sent = [_send(client, approver, make_broadcast, area, run_on_commit) for _ in range(3)]
    run = tasks.fetch_results.delay().get()
    assert run == 2
    assert all(r["status"] == 200 for r in line_emulator.requests("insight_unit"))
    waiting = BroadcastResult.objects.filter(broadcast__in=sent, fetched_at__isnull=True)
    assert waiting.count() == 1 and waiting.get().error == "429"


def test_friends_per_day_are_stored(line_emulator, settings, results_now):
    assert tasks.fetch_results.delay().get() == 0
    days = list(FriendsDay.objects.values_list("day", flat=True))
    today = timezone.localdate()
    assert len(days) == 3 and max(days) == today - timedelta(days=1)  # 3 a run, most recent first
    assert all(f.followers and f.blocks for f in FriendsDay.objects.all())


def test_emulator_insight_endpoints_are_strict(line_emulator, settings):
    token = settings.LINE_CHANNEL_ACCESS_TOKEN
    status, body = _line_get(line_emulator, "/v2/bot/insight/followers?date=2026-11-30", token)
    assert status == 400
    aggregation = "/v2/bot/insight/message/event/aggregation?customAggregationUnit="
    status, body = _line_get(line_emulator, aggregation + "bad-name&from=20261101&to=20261102", token)
    assert status == 400 and body["details"][0]["property"] == "customAggregationUnit"
    status, body = _line_get(line_emulator, aggregation + "ok&from=20261110&to=20261101", token)
    assert status == 400
    status, body = _line_get(line_emulator, "/v2/bot/insight/message/event?requestId=unknown", token)
    assert status == 200 and body["overview"]["delivered"] is None  # null until counted
    assert _line_get(line_emulator, "/v2/bot/insight/demographic", "wrong")[0] == 401
    # a multicast with a malformed unit is refused as LINE refuses it
    from portal.line import client as line_client
    from portal.line.errors import LineRejected

    uid = "U" + "a" * 32
    with pytest.raises(LineRejected):
        line_client.multicast(to=[uid], messages=[{"type": "text", "text": "x"}], aggregation_unit="has space")
    with pytest.raises(LineRejected):
        line_client.multicast(to=[uid], messages=[{"type": "text", "text": "x"}], aggregation_unit="a" * 31)
    line_client.multicast(to=[uid], messages=[{"type": "text", "text": "x"}], aggregation_unit="unit_1")
    # 60 an hour
    statuses = [_line_get(line_emulator, "/v2/bot/insight/demographic", token)[0] for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


# -- the results dashboard -------------------------------------------------------------------


@pytest.fixture
def sent_with_results(client, approver, make_broadcast, segment_world, make_residents, line_emulator, run_on_commit,
                      results_now):  # fmt: skip
    area = segment_world.areas[0]
    make_residents(600, area=area)
    b = _send(client, approver, make_broadcast, area, run_on_commit)
    tasks.fetch_results.delay().get()
    return b


def test_dashboard_shows_sends_per_month_and_friends(client, author, sent_with_results, assert_queries):
    client.force_login(author)
    api = client.get(reverse("broadcasts:api_detail", args=[sent_with_results.pk])).json()["results"]
    page = client.get(reverse("broadcasts:results")).content.decode()
    month = timezone.localdate()
    assert f"{month.year}年{month.month}月" in page
    assert f"約{api['opened']:,}人" in page and f"{api['open_rate']:.1f}%" in page
    assert 'id="table-friends"' in page and 'id="chart-friends"' in page  # chart and its table
    assert 'id="registered"' in page  # 受信設定 completion (privacy release)
    assert "<script>" not in page  # no inline script: data in a json_script tag, code from static
    assert 'id="results-data" type="application/json"' in page and "vendor/chartjs/chart.umd.min.js" in page
    data = client.get(reverse("broadcasts:results_data")).json()
    assert data["months"]["sends"][-1] == 1 and data["months"]["open_rate"][-1] == api["open_rate"]
    assert all(v is None or v >= 50 for v in data["friends"]["followers"] + data["friends"]["blocks"])
    # exact query counts, whatever the number of sends and days
    with assert_queries(10):
        client.get(reverse("broadcasts:results"))
    with assert_queries(7):
        client.get(reverse("broadcasts:results_data"))


def test_dashboard_query_counts_do_not_grow(client, author, approver, make_broadcast, segment_world, sent_with_results,
                                            run_on_commit, assert_queries):  # fmt: skip
    for _ in range(2):
        _send(client, approver, make_broadcast, segment_world.areas[0], run_on_commit)
    tasks.fetch_results.delay().get()
    client.force_login(author)
    client.get(reverse("broadcasts:results"))
    with assert_queries(10):
        client.get(reverse("broadcasts:results"))


def test_auditor_reads_results_but_not_the_audience(client, make_staff, sent_with_results):
    from accounts import roles

    client.force_login(make_staff(roles.AUDITOR))
    page = client.get(reverse("broadcasts:results")).content.decode()
    assert 'id="table-months"' in page and 'id="registered"' not in page


def test_monthly_csv_is_audited_and_rounded(client, author, sent_with_results):
    from accounts.models import AuditEntry

    client.force_login(author)
    api = client.get(reverse("broadcasts:api_detail", args=[sent_with_results.pk])).json()["results"]
    answer = client.get(reverse("broadcasts:results_csv"))
    body = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert answer["Content-Type"].startswith("text/csv") and answer["Cache-Control"] == "private, no-store"
    assert f"約{api['opened']:,}人" in body and "配信数" in body
    result = BroadcastResult.objects.get(broadcast=sent_with_results)
    assert f",{result.opened}," not in body  # LINE's exact figure stays inside
    entry = AuditEntry.objects.filter(action="broadcast.results_exported").get()
    assert entry.actor == author


def test_demo_shows_results_of_sent_broadcasts(client, make_staff):
    from accounts import roles
    from broadcasts.results_demo import load_results_demo

    author = make_staff(roles.PR_AUTHOR, email="pr@city.example.jp")
    said: list[str] = []
    load_results_demo(said.append)
    load_results_demo(said.append)
    assert said[-1] == "broadcast results: already there"
    client.force_login(author)
    sent = Broadcast.objects.filter(status=Broadcast.Status.DONE).order_by("finished_at")
    big, small = sent.first(), sent.last()
    r = client.get(reverse("broadcasts:api_detail", args=[big.pk])).json()["results"]
    assert r["opened"] and r["clicked"] and r["open_rate"] and r["urls"]
    small_r = client.get(reverse("broadcasts:api_detail", args=[small.pk])).json()["results"]
    assert small_r["opened"] is None and small_r["opened_text"] == "50人未満"
    page = client.get(reverse("broadcasts:results")).content.decode()
    assert 'id="table-friends"' in page and "%" in page
