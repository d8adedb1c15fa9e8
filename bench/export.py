#!/usr/bin/env python
"""Road CSV export benchmark: the triage queue's 「CSV出力」 (``GET /roads/export.csv``, the
unfiltered queue, newest first) over N road reports on PostgreSQL, through the Django test
client in a fresh interpreter per scale. Prints time to the first byte and to the first report's row, total time, size,
rows (every report must be there), and the exporting process's peak RSS above its RSS
before the request (VmHWM, reset with /proc/self/clear_refs after a warm-up), at each scale,
so that 10,000 and 100,000 reports can be compared: constant memory means the same peak.
Goals at 100,000: first byte < 1 s, whole file ≤ 10 s.

    .venv/bin/python bench/export.py                          # 10,000 and 100,000 reports
    .venv/bin/python bench/export.py --scales 100000 --repeat 3

Each scale has its own database (``portal_bench_perf_export_<N>``, seeded once: reports with
Japanese text, 1 in 50 comments starting with a formula character, 40 % assigned, photos on
a fifth), reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _measure
import _roads

DB_PREFIX = "postgres://postgres@127.0.0.1:5432/portal_bench_perf_export_"


def setup(database_url: str) -> None:
    _common.configure(database_url=database_url, broker_db=14, cache_db=15, extra={"ALLOWED_HOSTS": "testserver"})
    _common.ensure_database(database_url)
    _common.setup_django()


def seed(count: int) -> None:
    """Exactly ``count`` reports (bulk-inserted once; a database of another size is refilled)."""
    from django.db import connection
    from django.utils import timezone

    from intake.roads.models import ReportPhoto, RoadReport

    staff = _roads.road_staff(email="bench-export-{}@city.example.jp", full_name="道路 太郎{}")
    if RoadReport.objects.count() == count:
        return
    t = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {RoadReport._meta.db_table} CASCADE")
    rng = random.Random(42)
    reports = _roads.Reports(rng, staff, assigned=0.4)
    now = timezone.now()

    def report(i: int) -> RoadReport:
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
        category = reports.pick_category()
        comment = '=HYPERLINK("http://evil.example","詳細")' if i % 50 == 0 else f"歩道の段差が大きく、つまずきそうです（{i}）"
        return reports.report(
            f"R-BX-{i:07d}",
            category,
            status=rng.choice(reports.statuses),
            address_text=f"博多区博多駅前{i % 4 + 1}丁目{i % 30 + 1}番 交差点付近",
            comment=comment,
            is_dangerous=i % 9 == 0,
            created_at=created,
            updated_at=created,
        )

    _roads.insert(report(i) for i in range(count))
    ids = list(RoadReport.objects.values_list("id", flat=True))
    photos = [ReportPhoto(report_id=pk, state="ready") for pk in ids[::5] for _ in range(2)]
    ReportPhoto.objects.bulk_create(photos, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  seeded {count:,} reports ({len(photos):,} photos) in {time.monotonic() - t:.1f} s", flush=True)


def child(count: int, repeat: int) -> None:
    """One scale, in this fresh process: print one JSON line per export."""
    import csv
    import io

    from accounts.models import AuditEntry, User

    user = User.objects.get(email="bench-export-0@city.example.jp")
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get("/roads/export.csv?status=no-such-status")  # warm-up: imports, first queries
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # a streaming response
    for _ in range(repeat):
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux ≥ 4.0)
        before = _measure.status_kb("self", "VmRSS")
        audits = AuditEntry.objects.filter(action="roads.exported").count()
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get("/roads/export.csv")
        first = first_row = None
        size = 0
        lines = 0
        tail = b""
        sample = io.BytesIO()
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            if first is None:
                first = time.perf_counter() - t0
            if first_row is None and (lines or chunk.count(b"\n") > 1):
                first_row = time.perf_counter() - t0
            size += len(chunk)
            lines += chunk.count(b"\n")
            if sample.tell() < 200_000:
                sample.write(chunk)
            tail = chunk
        total = time.perf_counter() - t0
        cpu = time.process_time() - c0
        peak = _measure.status_kb("self", "VmHWM")
        rows = list(csv.reader(io.StringIO(sample.getvalue().decode("utf-8-sig", errors="ignore"))))[1:-1]
        formulas = [r[12] for r in rows if r and r[12][:1] in "=+-@"]
        print(
            json.dumps(
                {
                    "streaming": response.streaming,
                    "status": response.status_code,
                    "first_byte": first,
                    "first_row": first_row,
                    "total": total,
                    "cpu": cpu,
                    "bytes": size,
                    "rows": lines - 1,
                    "peak_extra_mb": (peak - before) / 1024,
                    "rss_before_mb": before / 1024,
                    "unguarded_formulas": len(formulas),
                    "audited": AuditEntry.objects.filter(action="roads.exported").count() - audits,
                    "ends_with_newline": tail.endswith(b"\n"),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10000,100000", help="comma-separated report counts")
    parser.add_argument("--repeat", type=int, default=2, help="exports per scale (same process)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup(f"{DB_PREFIX}{args.child}")
        seed(args.child)
        child(args.child, args.repeat)
        return
    results = {}
    for count in [int(s) for s in args.scales.split(",")]:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(count), "--repeat", str(args.repeat)],
            capture_output=True, text=True, timeout=600, cwd=_common.ROOT,
        )  # fmt: skip
        if done.returncode:
            sys.exit(done.stderr[-3000:])
        print("\n".join(line for line in done.stdout.splitlines() if not line.startswith("{")), end="")
        runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        results[count] = (runs, _measure.load())
    print("road CSV export (GET /roads/export.csv, whole queue newest first; Django test client, PostgreSQL)")
    for count, (runs, load) in results.items():
        for n, r in enumerate(runs, 1):
            ok = r["rows"] == count and r["streaming"] and r["audited"] == 1 and not r["unguarded_formulas"]
            print(
                f"  {count:>7,} reports, run {n}: first byte {r['first_byte'] * 1000:4.0f} ms "
                f"(first row {r['first_row'] * 1000:4.0f} ms), whole file {r['total']:5.2f} s "
                f"(CPU {r['cpu']:.2f} s), {r['bytes'] / 1e6:5.1f} MB, {r['rows']:,} rows, peak RSS +{r['peak_extra_mb']:.1f} MB "
                f"over {r['rss_before_mb']:.0f} MB; streamed {r['streaming']}, audited once {r['audited'] == 1}, "
                f"formulas guarded {not r['unguarded_formulas']} -> {'ok' if ok else 'WRONG'}"
            )
        print(f"    ({load})")
    if max(results) >= 100_000:
        best = min(results[max(results)][0], key=lambda r: r["total"])
        met = best["first_row"] < 1 and best["total"] <= 10
        print(
            f"  goals at {max(results):,}: first byte (and first row) < 1 s, whole file ≤ 10 s -> {'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
