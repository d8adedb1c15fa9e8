"""Webhook benchmark: the portal under gunicorn (2 workers) on PostgreSQL + Redis with a real
Celery worker and the LINE emulator, fed signed events by concurrent senders on loopback.

    .venv/bin/python bench/webhook.py [--events 10000] [--senders 16] [--redeliver 0.05]

Each simulated resident sends one text message (a share is also redelivered by "LINE",
same webhookEventId, concurrently), so after processing every resident must have received
exactly one answer. Prints ingest events/s, p50/p99 webhook latency, the processing rate,
and the lost and duplicated counts (goal: >= 500 events/s, p99 <= 200 ms, 0 lost, 0 twice).
Bounded in count and time; everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _measure

ROOT = _measure.ROOT
sys.path.insert(0, str(ROOT))

from portal.line.devtools import simulate  # noqa: E402 - needs the project on sys.path

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"


def wait_http(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def session_cpu_seconds(sid: int) -> float:
    """CPU time (user + system) of every live process in session ``sid`` (a process
    started with ``start_new_session`` and its children: gunicorn's or Celery's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after the name: state ppid pgrp session ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/portal_line_bench")
    parser.add_argument("--redis-db", type=int, default=12, help="broker db; the cache uses the next one")
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--redeliver", type=float, default=0.05, help="share of posts LINE sends twice")
    parser.add_argument("--text", default="こんにちは",
                        help="what each resident sends (default: a greeting, which goes through every chat answerer: "
                             "FAQ, ごみ分別, the staff inbox; 設定確認 is answered by the LINE layer's own flow)")  # fmt: skip
    parser.add_argument("--events-per-post", type=int, default=1, help="events in one webhook body (LINE batches)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8, help="gunicorn gthread threads per worker")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--worker-nice", type=int, default=0, help="run the Celery worker at this nice level (web first)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="cap on the sending phase")
    parser.add_argument("--drain-seconds", type=float, default=300.0, help="cap on waiting for processing")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "CACHE_URL": f"redis://127.0.0.1:6379/{args.redis_db + 1}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": "line-bench",
        "CONN_MAX_AGE": "60",
        # Celery's Django fix-up otherwise closes the connection after every task: a new
        # PostgreSQL connection per processed webhook body.
        "CELERY_DB_REUSE_MAX": "100",
        "LOG_LEVEL": "WARNING",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
    }
    os.environ.update(env)
    _common.ensure_database(args.database_url)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db import connection

    from portal.line.models import Conversation, OutboundMessage, Resident, WebhookEvent

    with connection.cursor() as cursor:
        for model in (WebhookEvent, Conversation, OutboundMessage):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    Resident.objects.filter(line_user_id__startswith="Ube7c4").delete()
    connection.close()
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()

    emulator_port, web_port = _measure.free_port(), _measure.free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    env.update({"LINE_API_BASE_URL": emulator_url, "LINE_API_DATA_BASE_URL": emulator_url})
    procs: list[subprocess.Popen] = []

    def start(cmd: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        procs.append(proc)
        return proc

    try:
        start([python, "manage.py", "line_emulator", "--port", str(emulator_port), "--token", TOKEN,
               "--reply-token-ttl", "3600", "--detail-users", "0"])  # fmt: skip
        web = start([python, "-m", "gunicorn", "portal.wsgi", "-w", str(args.web_workers), "-k", args.worker_class,
               "--threads", str(args.web_threads), "-b", f"127.0.0.1:{web_port}", "--backlog", "2048"])  # fmt: skip
        niced = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        worker = start([*niced, python, "-m", "celery", "-A", "portal", "worker", "-Q", "line-bench", "-n", "line-bench@%h",
               f"--concurrency={args.celery_concurrency}", "--loglevel=WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"])  # fmt: skip
        wait_http(emulator_port, "/_emulator/summary")
        wait_http(web_port, "/healthz")

        # The residents and their events, made before the clock starts.
        rng = random.Random(7)
        users = [f"Ube7c4{i:027x}" for i in range(args.events)]
        events = [simulate.text_event(u, args.text) for u in users]
        k = max(1, args.events_per_post)
        groups = [events[i : i + k] for i in range(0, len(events), k)]
        bodies = [simulate.callback_body(group) for group in groups]
        redeliveries = []
        for group in groups:
            if rng.random() < args.redeliver:
                again = [dict(e, deliveryContext={"isRedelivery": True}) for e in group]
                redeliveries.append(simulate.callback_body(again))
        conn = http.client.HTTPConnection("127.0.0.1", emulator_port, timeout=30)
        conn.request(
            "POST",
            "/_emulator/reply-tokens",
            json.dumps({"tokens": {e["replyToken"]: u for e, u in zip(events, users, strict=True)}}),
        )
        conn.getresponse().read()
        payloads = bodies + redeliveries
        rng.shuffle(payloads)
        signed = [(body, simulate.signature(body, SECRET)) for body in payloads]

        # Warm-up: LINE's verification request (empty events) on every web thread.
        warm = simulate.callback_body([])
        for _ in range(4 * args.web_workers * args.web_threads):
            c = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
            c.request("POST", "/line/webhook", warm, {"Content-Type": "application/json",
                                                      "X-Line-Signature": simulate.signature(warm, SECRET)})  # fmt: skip
            c.getresponse().read()
            c.close()
        load_at_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
        cpu_at_start = (session_cpu_seconds(web.pid), session_cpu_seconds(worker.pid), time.process_time())
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        position = {"next": 0}
        started = time.perf_counter()
        deadline = started + args.max_seconds

        def sender() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
            local: list[float] = []
            local_status: dict[int, int] = {}
            while time.perf_counter() < deadline:
                with lock:
                    index = position["next"]
                    position["next"] += 1
                if index >= len(signed):
                    break
                body, sig = signed[index]
                t0 = time.perf_counter()
                try:
                    conn.request("POST", "/line/webhook", body, {"Content-Type": "application/json", "X-Line-Signature": sig})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
                    status = 0
                local.append(time.perf_counter() - t0)
                local_status[status] = local_status.get(status, 0) + 1
            with lock:
                latencies.extend(local)
                for k, v in local_status.items():
                    statuses[k] = statuses.get(k, 0) + v

        threads = [threading.Thread(target=sender) for _ in range(args.senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        send_seconds = time.perf_counter() - started
        load_at_end = " ".join(f"{x:.1f}" for x in os.getloadavg())
        web_cpu, worker_cpu, client_cpu = (
            now - then
            for now, then in zip(
                (session_cpu_seconds(web.pid), session_cpu_seconds(worker.pid), time.process_time()), cpu_at_start, strict=True
            )
        )
        posted = len(latencies)
        posted_events = posted * k  # every post carries k events (the last group may be shorter)

        # Processing: wait until every stored event is done (or the cap).
        drain_deadline = time.monotonic() + args.drain_seconds
        while time.monotonic() < drain_deadline:
            pending = WebhookEvent.objects.exclude(state=WebhookEvent.State.DONE).count()
            if pending == 0:
                break
            time.sleep(0.5)
        processed_seconds = time.perf_counter() - started
        worker_cpu_all = session_cpu_seconds(worker.pid) - cpu_at_start[1]
        stored = WebhookEvent.objects.count()
        done = WebhookEvent.objects.filter(state=WebhookEvent.State.DONE).count()

        conn = http.client.HTTPConnection("127.0.0.1", emulator_port, timeout=60)
        conn.request("GET", "/_emulator/counts")
        counts = json.loads(conn.getresponse().read())
        from django.db.models import Count

        stored_ids = set(WebhookEvent.objects.values_list("webhook_event_id", flat=True))
        unprocessed = WebhookEvent.objects.exclude(state=WebhookEvent.State.DONE).count()
        multi_rows = WebhookEvent.objects.values("webhook_event_id").annotate(n=Count("pk")).filter(n__gt=1).count()
        connection.close()
        accepted_ids = {e["webhookEventId"] for e in events}  # every post answered 200 (checked below)
        lost = len(accepted_ids - stored_ids)
        answered_once = sum(1 for u in users if counts.get(u, 0) == 1)
        twice = sum(1 for u in users if counts.get(u, 0) > 1) + multi_rows
        ok = statuses.get(200, 0)
        lat_ms = sorted(x * 1000 for x in latencies)

        def pct(p: float) -> float:
            return lat_ms[min(len(lat_ms) - 1, int(round(p / 100 * (len(lat_ms) - 1))))] if lat_ms else float("nan")

        print(f"webhook benchmark: {args.events} residents, {len(payloads)} signed posts "
              f"({len(redeliveries)} redeliveries), {args.senders} senders, "
              f"gunicorn -w {args.web_workers} -k {args.worker_class} --threads {args.web_threads}, "
              f"celery -c {args.celery_concurrency} (nice {args.worker_nice}), PostgreSQL + Redis; "
              f"text {args.text!r}")  # fmt: skip
        print(f"  machine load average at start: {load_at_start}; at the end of sending: {load_at_end} ({os.cpu_count()} CPUs)")
        print(f"  posted {posted} requests ({k} event(s) each) in {send_seconds:.1f} s: "
              f"{posted_events / send_seconds:.0f} events/s, {posted / send_seconds:.0f} requests/s; "
              f"statuses {statuses}")  # fmt: skip
        print(f"  CPU while sending: web {web_cpu:.1f} s ({1000 * web_cpu / max(posted, 1):.2f} ms per request), "
              f"Celery worker {worker_cpu:.1f} s, senders {client_cpu:.1f} s")  # fmt: skip
        print(f"  latency p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {lat_ms[-1] if lat_ms else 0:.1f} ms, "
              f"mean {statistics.fmean(lat_ms) if lat_ms else 0:.1f} ms")  # fmt: skip
        print(f"  stored {stored} events (unique ids sent: {len(events)}), done {done}; all processed "
              f"{processed_seconds:.1f} s after the first post ({done / processed_seconds:.0f} events/s); "
              f"Celery worker CPU {worker_cpu_all:.1f} s ({1000 * worker_cpu_all / max(done, 1):.2f} ms per event)")  # fmt: skip
        print(f"  lost (answered 200, not stored): {lost}; processed twice: {twice}; "
              f"residents answered exactly once: {answered_once}; still pending at the cap: {unprocessed}")  # fmt: skip
        if ok != len(payloads):
            print(f"  note: only {ok} of {len(payloads)} posts were answered 200 (time cap or errors)")
    finally:
        _measure.stop(*procs, timeout=15)


if __name__ == "__main__":
    main()
