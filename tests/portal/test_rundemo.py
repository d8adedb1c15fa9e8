"""``make run`` (``manage.py rundemo``): its start-up output ends with the demo logins and
the TOTP hint, after every process has logged that it started, so they are not buried."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTED = {
    "[emulator]": "LINE emulator on",
    "[web]": "Quit the server with",
    "[worker]": " ready.",
    "[photo-worker]": " ready.",
    "[beat]": "beat: Starting",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.worker
def test_the_demo_logins_come_last_after_every_process_started(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),  # its own SQLite file and broker folder
    }
    web, emulator = _free_port(), _free_port()
    cmd = [sys.executable, "manage.py", "rundemo", "--addr", f"127.0.0.1:{web}", "--emulator-port", str(emulator)]
    log = tmp_path / "rundemo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "=" * 78 + "\n" not in log.read_text().split("Demo logins", 1)[-1]:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        lines = log.read_text().splitlines()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = "\n".join(lines)
    assert "Demo logins" in text, text[-3000:]
    banner_at = next(i for i, line in enumerate(lines) if "Demo logins" in line)
    for prefix, marker in STARTED.items():
        started_at = [i for i, line in enumerate(lines) if line.startswith(prefix) and marker in line]
        assert started_at, f"{prefix} never said it started:\n{text[-3000:]}"
        assert started_at[0] < banner_at, f"the logins came before {prefix} started"
    banner = "\n".join(lines[banner_at:])
    for email in ("admin@city.example.jp", "pr@city.example.jp", "road@city.example.jp", "waste@city.example.jp"):
        assert email in banner
    assert "demo_totp admin@city.example.jp" in banner and "30 seconds" in banner
    # Nothing but the processes' own later log lines after it: the banner closes the start-up.
    startup_after = [line for line in lines[banner_at:] if line.startswith("starting ")]
    assert startup_after == []
    assert proc.returncode == 0
