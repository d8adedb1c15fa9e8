"""Bulky-garbage capacity under contention, on PostgreSQL: T threads (one connection each)
race to book the same area-day until it is full; prints bookings/s, refusals and latency,
and checks the day ends exactly full.

    .venv/bin/python bench/bulky_capacity.py                          # 50 threads, 200 points
    .venv/bin/python bench/bulky_capacity.py --threads 100 --capacity 500 --attempts 10

Uses its own database (default portal_bench_bulky, created and migrated when missing).
LINE pushes are not sent (the service's push is replaced by a no-op): this measures the
booking path (validation, conditional UPDATE on the day, booking rows) only.
"""

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench_bulky"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--capacity", type=int, default=200, help="points on the contested day")
    parser.add_argument("--attempts", type=int, default=6, help="bookings each thread tries")
    args = parser.parse_args()

    _common.configure_single_process(default_database_url=DEFAULT_DB, script="bench/bulky_capacity.py")

    import datetime as dt

    from django.db import connections

    from intake.bulky import selectors, services
    from intake.bulky.models import Booking, BookingLine, BulkySettings, CollectionArea, CollectionDay, Item
    from portal.line.devtools.simulate import user_id_for
    from portal.line.models import Area, Resident

    services._push = lambda *a, **k: None  # measure the booking path, not LINE
    BulkySettings.objects.update_or_create(pk=1, defaults={"earliest_days_ahead": 1, "latest_days_ahead": 60})
    area, _ = Area.objects.get_or_create(code="bench-bulky", defaults={"name": "ベンチ区"})
    collection_area, _ = CollectionArea.objects.update_or_create(
        area=area, defaults={"weekdays": "0123456", "capacity_points": args.capacity}
    )
    chair, _ = Item.objects.get_or_create(name="ベンチ椅子", defaults={"fee_yen": 500, "size_points": 1})
    # The first collection date in the window (holidays and 年末年始 are closed).
    date = next(
        d for d, _free in selectors.available_dates(area=collection_area) if d >= selectors.today() + dt.timedelta(days=5)
    )
    BookingLine.objects.filter(booking__area=collection_area).delete()
    Booking.objects.filter(area=collection_area).delete()
    CollectionDay.objects.filter(area=collection_area).delete()
    residents = [Resident.objects.get_or_create(line_user_id=user_id_for(f"bench-bulky-{n}"))[0] for n in range(args.threads)]
    connections.close_all()

    latencies: list[float] = []
    outcome = {"booked": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(args.threads)

    def worker(n: int) -> None:
        barrier.wait()
        for _attempt in range(args.attempts):
            started = time.perf_counter()
            try:
                services.booking_create(
                    resident=residents[n],
                    area=collection_area,
                    collection_date=date,
                    quantities={chair.pk: 1},
                    address="ベンチ町1-1",
                    phone="092-000-0000",
                    idempotency_key=uuid.uuid4(),
                )
                key = "booked"
            except services.CapacityFull:
                key = "refused"
            except Exception:  # noqa: BLE001 - counted and reported
                key = "errors"
            elapsed = time.perf_counter() - started
            with lock:
                outcome[key] += 1
                latencies.append(elapsed)
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    day = CollectionDay.objects.get(area=collection_area, date=date)
    latencies.sort()
    print(f"threads={args.threads} attempts/thread={args.attempts} capacity={args.capacity} points (1 point each)")
    print(f"booked={outcome['booked']} refused={outcome['refused']} errors={outcome['errors']} wall={wall:.2f}s")
    print(
        f"throughput={(outcome['booked'] + outcome['refused']) / wall:.0f} requests/s, {outcome['booked'] / wall:.0f} bookings/s"
    )
    print(
        f"latency p50={statistics.median(latencies) * 1000:.1f} ms "
        f"p95={latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms max={latencies[-1] * 1000:.1f} ms"
    )
    print(
        f"day used={day.used_points}/{day.capacity_points} bookings rows={Booking.objects.filter(area=collection_area).count()}"
    )
    expected = min(args.capacity, args.threads * args.attempts)
    ok = day.used_points == expected == outcome["booked"] and outcome["errors"] == 0
    print("OK: exactly full, never over" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
