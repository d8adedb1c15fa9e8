#!/usr/bin/env python
"""Photo pipeline benchmark: residents' 12-megapixel JPEGs (4000 × 3000, camera EXIF with
GPS and a 90° orientation, made with Pillow) through the real pipeline on PostgreSQL +
Redis: ``services.photo_receive`` enqueues the ``roads.fetch_photo`` task; a real Celery
photo worker as README "Scaling out" runs it (``-Q photos``, prefork, ``--max-memory-per-child
400000``; ``--concurrency`` 3 here: three photos at once) fetches each photo
from the LINE emulator's content endpoint, checks it (format, pixel limits on the header,
whole-stream decode), stores the original privately and writes the EXIF-free display copy
and thumbnail.

Prints the worker's CPU per photo (all pool processes, utime + stime, divided by the
photos; goal ≤ 0.5 s), the wall time, the peak RSS of the worker (main process + pool,
sampled every 20 ms, and each pool process's own peak, VmHWM) against its idle RSS, and
the machine's load. Then the same steps in this process, one photo at a time, split by
stage (check / copies / GPS), and asserts that no copy carries EXIF.

    .venv/bin/python bench/photos.py                  # 30 photos, 3 at a time
    .venv/bin/python bench/photos.py --photos 60 --concurrency 3

Uses its own database (``--database-url``, default portal_bench_perf_photos) and Redis dbs
14/15; photos go to a temporary PRIVATE_MEDIA_ROOT that is removed afterwards.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _measure

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench_perf_photos"
WIDTH, HEIGHT = 4000, 3000  # 12.0 MP, a phone camera's default


def make_jpeg(seed: int) -> bytes:
    """A 12 MP JPEG that compresses like a photo (smooth shapes + sensor-like noise, 4–5 MB
    at quality 88) with the EXIF a phone writes: make, model, orientation 6, GPS."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = np.stack(
        [
            128 + 100 * np.sin(x / (300 + 7 * seed)),
            128 + 100 * np.cos(y / (250 + seed)),
            128 + 80 * np.sin((x + y) / 400),
        ],
        axis=-1,
    )
    pixels = np.clip(base + rng.normal(0, 18, (HEIGHT, WIDTH, 3)).astype(np.float32), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "BC-12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[0x0132] = "2026:12:01 09:30:00"  # DateTime
    exif.get_ifd(0x8825).update({1: "N", 2: (33.0, 35.0, 24.5 + seed), 3: "E", 4: (130.0, 24.0, 6.5)})
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=88, exif=exif)
    return out.getvalue()


def sample_photos(count: int, cache: Path) -> list[bytes]:
    """``count`` distinct photos (made once, kept in ``cache``: making one takes seconds)."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for seed in range(count):
        path = cache / f"photo-{WIDTH}x{HEIGHT}-{seed}.jpg"
        if not path.exists():
            path.write_bytes(make_jpeg(seed))
        out.append(path.read_bytes())
    return out


def no_exif(data: bytes) -> bool:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    return not image.getexif() and "exif" not in image.info and b"Exif\x00\x00" not in data


def in_process_stages(bodies: list[bytes]) -> dict[str, list[float]]:
    """CPU seconds of each stage of ``_store``, one photo at a time, in this process."""
    from intake.roads import photos

    stages: dict[str, list[float]] = {"check": [], "copies": [], "gps": []}
    for body in bodies:
        c0 = time.process_time()
        photos.check_image(body)
        c1 = time.process_time()
        display, thumb = photos.derived_copies(body)
        c2 = time.process_time()
        photos.gps_position(body)
        c3 = time.process_time()
        stages["check"].append(c1 - c0)
        stages["copies"].append(c2 - c1)
        stages["gps"].append(c3 - c2)
        assert no_exif(display) and no_exif(thumb), "a derived copy carries EXIF"
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=30, help="photos through the worker")
    parser.add_argument("--distinct", type=int, default=6, help="distinct JPEGs made (then reused under new message ids)")
    parser.add_argument("--concurrency", type=int, default=3, help="worker pool processes: photos handled at once")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PHOTOS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "bench-photos"))
    args = parser.parse_args()

    media = Path(tempfile.mkdtemp(prefix="bench-photos-media-"))
    env = _common.configure(database_url=args.database_url, broker_db=14, cache_db=15, extra={"PRIVATE_MEDIA_ROOT": str(media)})
    _common.ensure_database(args.database_url)
    _common.setup_django()

    import redis
    from django.db import transaction
    from django.db.models import Count

    from intake.roads import services
    from intake.roads.models import ReportPhoto
    from portal.line.models import Resident

    t = time.monotonic()
    bodies = sample_photos(args.distinct, Path(args.cache_dir))
    size = statistics.mean(len(b) for b in bodies) / 1e6
    print(f"{len(bodies)} distinct {WIDTH}×{HEIGHT} JPEGs ({size:.1f} MB each, EXIF with GPS) in {time.monotonic() - t:.1f} s")

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    emulator = _measure.Emulator(env)
    env = {**env, "LINE_API_BASE_URL": emulator.url, "LINE_API_DATA_BASE_URL": emulator.url}
    os.environ.update(env)
    from django.conf import settings

    settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = emulator.url
    log = open(Path(tempfile.gettempdir()) / "bench-photos-worker.log", "wb")
    # the photo worker of README "Scaling out", with the concurrency asked for
    cmd = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", settings.ROADS_PHOTO_QUEUE, "-n", "bench-photos@%h",
           "--pool=prefork", f"--concurrency={args.concurrency}", "--max-memory-per-child=400000", "--loglevel=WARNING",
           "--without-gossip", "--without-mingle", "--without-heartbeat", "--prefetch-multiplier=1"]  # fmt: skip
    worker = subprocess.Popen(
        cmd, cwd=_common.ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        ReportPhoto.objects.all().delete()
        resident, _c = Resident.objects.get_or_create(line_user_id="U" + "b" * 32)
        run = f"{time.time_ns():x}"
        encoded = [base64.b64encode(b).decode() for b in bodies]
        for n in range(args.photos):
            emulator.post("/_emulator/content", {"message_id": f"bench-{run}-{n}", "body_base64": encoded[n % len(bodies)]})
        idle_rss, deadline = -100.0, time.monotonic() + 60
        while time.monotonic() < deadline:  # the pool processes have started and settled
            time.sleep(1)
            pool = _measure.family(worker.pid)
            rss = _measure.rss_mb(pool)
            if len(pool) == args.concurrency + 1 and abs(rss - idle_rss) < 2:
                break
            idle_rss = rss
        idle_child = max(_measure.status_kb(p, "VmRSS") for p in pool[1:]) / 1024 if len(pool) > 1 else 0.0
        cpu0 = sum(_measure.cpu_seconds(p) for p in pool)
        t0 = time.monotonic()
        with transaction.atomic():
            ids = [services.photo_receive(resident=resident, message_id=f"bench-{run}-{n}").pk for n in range(args.photos)]
        peak_rss = idle_rss
        deadline = time.monotonic() + 60 + 10 * args.photos
        while time.monotonic() < deadline:
            pool = _measure.family(worker.pid)
            peak_rss = max(peak_rss, _measure.rss_mb(pool))
            if not ReportPhoto.objects.filter(pk__in=ids, state=ReportPhoto.State.PENDING).exists():
                break
            time.sleep(0.02)
        wall = time.monotonic() - t0
        pool = _measure.family(worker.pid)
        cpu = sum(_measure.cpu_seconds(p) for p in pool) - cpu0
        child_peaks = [_measure.status_kb(p, "VmHWM") / 1024 for p in pool[1:]]
        states = dict(ReportPhoto.objects.filter(pk__in=ids).values_list("state").annotate(n=Count("id")))
        ready = list(ReportPhoto.objects.filter(pk__in=ids, state=ReportPhoto.State.READY))
        from intake.roads import photos as imaging

        clean = all(no_exif(imaging.read_private(p.display_path)) and no_exif(imaging.read_private(p.thumb_path)) for p in ready)
        load_after = _measure.load()
    finally:
        _measure.stop(worker, timeout=20)
        emulator.stop()

    stages = in_process_stages(bodies[: min(3, len(bodies))])
    shutil.rmtree(media, ignore_errors=True)

    per_photo = cpu / args.photos
    met = per_photo <= 0.5 and len(ready) == args.photos
    med = {k: statistics.median(v) for k, v in stages.items()}
    peaks = ", ".join(f"{p:.0f}" for p in child_peaks)
    print(
        f"photos {args.photos} × 12 MP through a prefork photo worker, concurrency {args.concurrency} (emulator content "
        "endpoint → check → original + EXIF-free display 1920–2048 px + thumbnail 320 px); PostgreSQL + Redis"
    )
    print(f"  outcome            {states}; every display copy and thumbnail EXIF-free: {clean}")
    print(f"  worker CPU / photo {per_photo:.3f} s (all pool processes; goal ≤ 0.5 s -> {'met' if met else 'NOT met'})")
    print(f"  wall               {wall:.1f} s ({args.photos / wall:.1f} photos/s)")
    print(f"  worker RSS         main + {len(child_peaks)} pool processes: settled {idle_rss:.0f} MB -> peak {peak_rss:.0f} MB")
    print(f"  per pool process   settled {idle_child:.0f} MB -> peak (VmHWM) {peaks} MB")
    print(
        f"  in this process    CPU per photo (median of {len(stages['check'])}): check {med['check']:.3f} s, "
        f"display + thumbnail {med['copies']:.3f} s, GPS {med['gps']:.3f} s"
    )
    print(f"  {load_after} (end of the worker run); now {_measure.load()}")


if __name__ == "__main__":
    main()
