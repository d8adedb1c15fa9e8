"""Run the whole demo: web server, Celery worker, Celery beat and the LINE emulator.

Ctrl-C stops them all. Used by ``make run``."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand

from portal.demo import refuse_outside_debug

EMULATOR_PORT = 8765


class Command(BaseCommand):
    help = "Start web (127.0.0.1:8000), worker, beat and the LINE emulator; Ctrl-C stops all."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--emulator-port", type=int, default=EMULATOR_PORT)

    def handle(self, *args, **options) -> None:
        refuse_outside_debug("rundemo")
        env = os.environ.copy()
        # The worker, beat and emulator run with exactly these (local, DEBUG) settings.
        env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        python = sys.executable
        procs: list[tuple[str, list[str]]] = []
        if "line_emulator" in get_commands():
            base = f"http://127.0.0.1:{options['emulator_port']}"
            env.setdefault("LINE_API_BASE_URL", base)
            env.setdefault("LINE_API_DATA_BASE_URL", base)
            emulator = [python, "manage.py", "line_emulator", "--port", str(options["emulator_port"])]
            base_url = settings.PORTAL_BASE_URL.rstrip("/") + "/"
            if base_url.startswith("http://"):
                # The demo portal is plain HTTP on 127.0.0.1: its broadcast images would be
                # refused as LINE refuses them. Accept exactly this portal's URLs, nothing else.
                emulator += ["--allow-http-media", base_url]
            procs.append(("emulator", emulator))
        procs += [
            ("web", [python, "manage.py", "runserver", options["addr"], "--noreload"]),
            # Two processes: on the embedded SQLite every write holds the one file lock, so
            # more would only wait for it; two keep chat replies moving while a broadcast sends.
            ("worker", [python, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2",
                        "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", "demo@%h"]),
            # Residents' photos: their own queue and one process, so decoding photos never
            # holds up webhooks or broadcasts and its memory stays bounded (settings: ROADS_PHOTO_QUEUE).
            ("photo-worker", [python, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=1",
                              "-Q", settings.ROADS_PHOTO_QUEUE, "-n", "demo-photos@%h", "--max-memory-per-child=400000"]),
            ("beat", [python, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO",
                      "--schedule", str(settings.CELERY_BEAT_SCHEDULE_FILENAME)]),
        ]  # fmt: skip
        running: list[tuple[str, subprocess.Popen]] = []
        for name, cmd in procs:
            self.stdout.write(f"starting {name}: {' '.join(cmd[1:])}")
            running.append((name, subprocess.Popen(cmd, env=env, start_new_session=True)))
        self.stdout.write(self.style.SUCCESS(f"Portal: http://{options['addr']}/  (Ctrl-C stops everything)"))

        def stop(*_args) -> None:
            # SIGTERM to each main process (Celery then shuts its pool down cleanly), then
            # SIGKILL whatever is left in each process group, so nothing outlives the demo.
            for _name, proc in running:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for _name, proc in running:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        # Explicit, because a shell without job control starts background jobs with SIGINT
        # ignored, and then Python would not raise KeyboardInterrupt on Ctrl-C.
        signal.signal(signal.SIGINT, stop)
        try:
            while True:
                for name, proc in running:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the demo")
                        stop()
                time.sleep(1)
        except KeyboardInterrupt:
            stop()
