"""Triage queue benchmark: 100,000 road reports on PostgreSQL, 50 typical filtered queue
pages rendered through the Django test client; prints p50/p95 server time (goal p95 ≤ 150 ms).

    .venv/bin/python bench/triage.py                       # 100,000 reports, 50 pages
    .venv/bin/python bench/triage.py --reports 20000 --pages 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other .venv/bin/python bench/triage.py

Uses its own database (default portal_bench_roads, created and migrated when missing);
reports are bulk-inserted once and reused by later runs.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _roads

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench_roads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--verbose", action="store_true", help="print each page's time and URL")
    args = parser.parse_args()

    _common.configure_single_process(default_database_url=DEFAULT_DB, script="bench/triage.py")

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("createcachetable", verbosity=0)

    from intake.roads.models import Category, ReportPhoto, RoadReport, Status, Team
    from portal.line.models import Area

    staff = _roads.road_staff(email="bench-road-{}@city.example.jp", full_name="道路 {}", password="bench-pass-1234")

    existing = RoadReport.objects.count()
    if existing < args.reports:
        rng = random.Random(42)
        reports = _roads.Reports(rng, staff, assigned=0.6)
        now = time.time()
        from django.utils import timezone

        base = timezone.now()
        to_make = args.reports - existing
        t0 = time.perf_counter()

        def report(i: int) -> RoadReport:
            status = rng.choice(reports.statuses)
            created = base - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
            closed = (
                created + timedelta(days=rng.uniform(0.5, 40))
                if status in (Status.DONE, Status.REJECTED, Status.DUPLICATE)
                else None
            )
            category = reports.pick_category()
            return reports.report(
                f"R-BENCH-{i:07d}",
                category,
                status=status,
                comment="ベンチマーク",
                created_at=created,
                updated_at=closed or created,
                closed_at=closed,
            )

        _roads.insert(
            (report(i) for i in range(existing, args.reports)),
            progress=lambda made: print(f"  inserted {made}/{to_make}", end="\r", flush=True),
        )
        # ~3% flagged as possible duplicates, photos for the newest reports.
        ids = list(RoadReport.objects.order_by("-id").values_list("id", flat=True)[:to_make])
        flagged = rng.sample(ids, k=max(1, len(ids) // 33))
        for chunk in range(0, len(flagged), 2000):
            part = flagged[chunk : chunk + 2000]
            RoadReport.objects.filter(id__in=part).update(possible_duplicate_of_id=ids[-1])
        ReportPhoto.objects.bulk_create(
            [ReportPhoto(report_id=pk, state="ready") for pk in ids[:20000] for _ in range(2)], batch_size=5000
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"inserted {to_make} reports in {time.perf_counter() - t0:.1f} s (setup {time.time() - now:.1f} s)")

    total = RoadReport.objects.count()
    client = Client()
    client.force_login(staff[0])
    rng = random.Random(7)
    cats = list(Category.objects.values_list("pk", flat=True))
    team_ids = list(Team.objects.values_list("pk", flat=True))
    area_ids = list(Area.objects.values_list("pk", flat=True))
    today = time.strftime("%Y-%m-%d")
    month_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400))
    typical = [
        lambda: "/roads/",
        lambda: "/roads/?status=received&status=checking",
        lambda: f"/roads/?status=received&category={rng.choice(cats)}&sort=priority",
        lambda: f"/roads/?team={rng.choice(team_ids)}&status=planned&status=in_progress",
        lambda: f"/roads/?assignee={staff[rng.randrange(8)].pk}&status=checking&status=planned&status=in_progress&sort=updated",
        lambda: f"/roads/?area={rng.choice(area_ids)}&date_from={month_ago}&date_to={today}",
        lambda: "/roads/?duplicates=true&status=received&status=checking",
        lambda: f"/roads/?priority=4&sort=old&page={rng.randint(1, 3)}",
        lambda: f"/roads/?category={rng.choice(cats)}&page={rng.randint(2, 20)}",
        lambda: "/roads/?status=done&sort=updated",
    ]
    # Warm up (template compilation, connection).
    for make in typical:
        client.get(make())
    timings, queries, cpu = [], [], []
    for i in range(args.pages):
        url = typical[i % len(typical)]()
        with CaptureQueriesContext(connection) as ctx:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        timings.append(elapsed)
        queries.append(len(ctx.captured_queries))
        if args.verbose:
            slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
            print(f"{elapsed:7.1f} ms {len(ctx.captured_queries):3d} q  {url}")
            print(f"          slowest {slowest['time']}s: {slowest['sql'][:300]}")
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
    version = connection.pg_version // 10000  # type: ignore[attr-defined]  # PostgreSQL only
    print(f"database: PostgreSQL {version}, reports: {total:,}, pages: {len(timings)}")
    print(f"queue page server time: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms (goal p95 <= 150 ms)")
    cpu.sort()
    cpu_p95 = cpu[max(0, int(round(0.95 * len(cpu))) - 1)]
    print(f"web-process CPU per page: p50 {statistics.median(cpu):.1f} ms, p95 {cpu_p95:.1f} ms")
    print(f"queries per page: min {min(queries)}, max {max(queries)}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
