"""Run the whole demo: web server, Celery worker, Celery beat and the LINE emulator.

Each process's output is shown with its name; once every one has logged that it started,
the demo logins and the TOTP hint come last, so they are not buried. Ctrl-C stops them all.
Used by ``make run``."""

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandParser

from portal.demo import refuse_outside_debug

EMULATOR_PORT = 8765
# What each process logs once it is up (Celery logs "celery@host ready.").
READY_MARKERS = {
    "emulator": "LINE emulator on",
    "web": "Quit the server with",
    "worker": " ready.",
    "photo-worker": " ready.",
    "beat": "beat: Starting",
}
READY_TIMEOUT = 90.0


class Command(BaseCommand):
    help = "Start web (127.0.0.1:8000), worker, beat and the LINE emulator; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--emulator-port", type=int, default=EMULATOR_PORT)

    def handle(self, *args: object, **options: Any) -> None:
        refuse_outside_debug("rundemo")
        env = os.environ.copy()
        # The worker, beat and emulator run with exactly these (local, DEBUG) settings.
        env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        env["PYTHONUNBUFFERED"] = "1"  # lines arrive as they are written
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
        lock = threading.Lock()
        ready = {name: threading.Event() for name, _cmd in procs}
        for name, cmd in procs:
            self.stdout.write(f"starting {name}: {' '.join(cmd[1:])}")
            proc = subprocess.Popen(
                cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, bufsize=1, errors="replace",
            )  # fmt: skip
            running.append((name, proc))
            threading.Thread(target=self._relay, args=(name, proc, ready[name], lock), daemon=True).start()

        def stop(*_args: object) -> None:
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
            deadline = time.monotonic() + READY_TIMEOUT
            announced = False
            while True:
                for name, proc in running:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the demo")
                        stop()
                waiting = [name for name, event in ready.items() if name in READY_MARKERS and not event.is_set()]
                if not announced and (not waiting or time.monotonic() > deadline):
                    with lock:
                        if waiting:
                            self.stderr.write(f"not started after {READY_TIMEOUT:.0f} s: {', '.join(waiting)} (see above)")
                        self._banner(options["addr"])
                    announced = True
                time.sleep(0.2 if not announced else 1)
        except KeyboardInterrupt:
            stop()

    def _relay(self, name: str, proc: subprocess.Popen, ready: threading.Event, lock: threading.Lock) -> None:
        """Show the process's lines, named, and notice when it says it is up."""
        marker = READY_MARKERS.get(name)
        assert proc.stdout is not None
        for line in proc.stdout:
            with lock:
                self.stdout.write(f"[{name}] {line.rstrip()}")
            if marker and marker in line:
                ready.set()

    def _banner(self, addr: str) -> None:
        from accounts.demo import demo_login_lines

        rule = "=" * 78
        self.stdout.write("")
        self.stdout.write(rule)
        self.stdout.write(self.style.SUCCESS(f"Portal: http://{addr}/  (Ctrl-C stops everything)"))
        self.stdout.write("Demo logins (one per role):")
        for line in demo_login_lines():
            self.stdout.write(line)
        self.stdout.write(rule)
