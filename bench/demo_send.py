#!/usr/bin/env python
"""The demo's 友だち全員 broadcast on the embedded default (SQLite + filesystem broker), as
``make run`` sets it up: a fresh var/ directory, ``migrate``, ``createcachetable``,
``demo_setup``, then ``rundemo`` (web, worker, beat, LINE emulator) on free ports. The demo
PR author saves and submits a 友だち全員 broadcast (承認後すぐに配信), the demo approver
approves it, and the clock runs from the approval to 配信完了. Prints the time, how many
residents the emulator recorded, and how many ``database is locked`` errors the demo's
processes logged.

    .venv/bin/python bench/demo_send.py            # goal: < 15 s, 0 lock errors
    .venv/bin/python bench/demo_send.py --keep     # leave the temporary var/ directory
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _measure

ROOT = _measure.ROOT


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var/ directory")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bench-demo-send-"))
    web, emu = _measure.free_port(), _measure.free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(
        {
            "PORTAL_VAR_DIR": str(var),
            "LINE_API_BASE_URL": f"http://127.0.0.1:{emu}",
            "LINE_API_DATA_BASE_URL": f"http://127.0.0.1:{emu}",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{web}",
            # A queue of its own, so a developer's `make run` on this machine never takes its tasks.
            "CELERY_TASK_DEFAULT_QUEUE": f"bench-demo-{os.getpid()}",
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",  # what `make run` uses
        }
    )
    python = sys.executable
    t = time.monotonic()
    for cmd in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["demo_setup"]):
        subprocess.run([python, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"fresh demo database in {var} ({time.monotonic() - t:.1f} s)", flush=True)
    log_path = var / "rundemo.log"
    log = open(log_path, "wb")
    demo = subprocess.Popen(
        [python, "manage.py", "rundemo", "--addr", f"127.0.0.1:{web}", "--emulator-port", str(emu)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{emu}/_emulator/summary")
        wait_for(f"http://127.0.0.1:{web}/healthz")
        time.sleep(3)  # the worker connects to the broker
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from accounts.models import User
        from broadcasts import services
        from broadcasts.models import Batch, Broadcast
        from portal.line.models import Resident

        author = User.objects.get(email="pr@city.example.jp")
        approver = User.objects.get(email="approver@city.example.jp")
        reachable = Resident.objects.filter(status=Resident.Status.ACTIVE, segment_opt_out=False).count()
        b = services.broadcast_save(
            actor=author,
            title="ベンチマーク: 友だち全員",
            audience=Broadcast.Audience.ALL,
            bubbles=[{"type": "text", "text": "市からのお知らせです。"}],
        )
        services.broadcast_submit(broadcast=b, actor=author)
        t0 = time.monotonic()
        version = services.content_version(b)  # what the approver reviewed
        b = services.broadcast_approve(broadcast=b, approver=approver, version=version)  # 承認後すぐに配信: it starts
        first_seen = None
        while time.monotonic() - t0 < args.timeout:
            b.refresh_from_db()
            if first_seen is None and Batch.objects.filter(broadcast=b, status=Batch.Status.DONE).exists():
                first_seen = time.monotonic() - t0
            if b.status in {Broadcast.Status.DONE, Broadcast.Status.PARTIAL, Broadcast.Status.CANCELLED}:
                break
            time.sleep(0.1)
        wall = time.monotonic() - t0
        with urllib.request.urlopen(f"http://127.0.0.1:{emu}/_emulator/counts", timeout=30) as r:
            counts = json.loads(r.read())
    finally:
        _measure.stop(demo, timeout=30)
        log.close()
    text = log_path.read_text(errors="replace")
    locked = text.count("database is locked")
    tracebacks = text.count("Traceback (most recent call last)")
    print(f"status              {b.get_status_display()} ({b.status})")
    print(f"reachable residents {reachable:,}; snapshot {b.recipients_total:,}; emulator recorded {len(counts):,} users, "
          f"{sum(counts.values()):,} messages")  # fmt: skip
    first = f"{first_seen:.1f} s" if first_seen is not None else "—"
    print(f"approval → 配信完了  {wall:.1f} s   (first batch delivered after {first})   goal < 15 s")
    print(f"'database is locked' in the demo's log: {locked}; tracebacks: {tracebacks}")
    print(f"load average        {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    if args.keep:
        print(f"kept {var} (log: {log_path})")
    else:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
