"""Process measurements shared by the benchmarks: RSS and CPU of a process family from /proc,
the machine's load, a free port, stopping a process group, the LINE emulator as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """The machine's load averages (1, 5, 15 min) on its cores, as ``uptime`` says them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def family(pid: int) -> list[int]:
    """A process and its direct children (a prefork pool's processes)."""
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    return pids


def status_kb(pid: int | str, field: str) -> int:
    """A field of /proc/<pid>/status in kB (``VmRSS``, ``VmHWM``: the peak RSS); 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pids: list[int]) -> float:
    return sum(status_kb(p, "VmRSS") for p in pids) / 1024


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(*procs: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM each process's group (started with ``start_new_session=True``), all at once;
    SIGKILL a group whose leader has not ended ``timeout`` seconds later."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Emulator:
    """``manage.py line_emulator`` on a free port, in its own process group; ``options`` are
    more of its command-line flags (limits, injected faults)."""

    def __init__(self, env: dict, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "manage.py", "line_emulator", "--port", str(self.port), "--detail-users", "0", *options]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        for _ in range(200):
            try:
                self.get("/_emulator/summary")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the LINE emulator did not start")

    def get(self, path: str, timeout: float = 60):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return json.loads(r.read())

    def post(self, path: str, data: dict):
        request = urllib.request.Request(
            self.url + path, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        stop(self.proc, timeout=10)
