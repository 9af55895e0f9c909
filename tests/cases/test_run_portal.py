"""`make run`'s last step: the web server and the task cluster start together and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the direct children of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append((int(entry.name), cmdline))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_run_portal_serves_with_the_cluster_and_ctrl_c_stops_both(
    django_db_setup: Any, tmp_path: Path
) -> None:
    # The test database: migrated, empty; the login page and the queue need no rows.
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "AKRITES_DATA_DIR": str(tmp_path),
        "Q_WORKERS": "1",
    }
    port = free_port()
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_portal", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, so a failing test can stop all of it
    )
    try:
        ready = wait_for(lambda: "Akrites is running at" in (tmp_path / "run.log").read_text(), 60)
        output = (tmp_path / "run.log").read_text()
        assert ready, output[-3000:]
        assert f"http://127.0.0.1:{port}/" in output
        assert "demo-password" in output
        commands = [cmd for _, cmd in children_of(proc.pid)]
        assert any("qcluster" in cmd for cmd in commands), commands
        assert any("runserver" in cmd for cmd in commands), commands
        kids = [pid for pid, _ in children_of(proc.pid)]

        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends

        assert proc.wait(timeout=30) == 0
        assert wait_for(lambda: not any(alive(pid) for pid in kids), 10)
        assert "Stopped the web server and the task cluster." in (tmp_path / "run.log").read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
