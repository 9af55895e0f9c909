"""The health probes answer within a second while every gunicorn worker is busy.

Real gunicorn with `akrites/gunicorn.conf.py` and two sync workers, 50 concurrent
requests that each hold a worker for 8 s (tests/slow_app.py): a probe on the web
port waits behind them, the health listener in the master answers at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import ROOT, answers, database_url, free_port, stop_group, wait_for

CLIENTS = 50


def timed_get(url: str, timeout: float) -> tuple[int | None, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local
            response.read()
            return response.status, time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - started
    except OSError:
        return None, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_probes_answer_within_a_second_while_all_workers_are_busy(tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "akrites.settings_test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "HEALTH_BIND": f"127.0.0.1:{health_port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "1",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "akrites/gunicorn.conf.py", "tests.slow_app"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    web, health = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{health_port}"
    clients = [
        threading.Thread(target=timed_get, args=(f"{web}/slow/?s=8", 30), daemon=True)
        for _ in range(CLIENTS)
    ]
    try:
        assert wait_for(lambda: answers(f"{web}/healthz/live"), 60), log.read_text()[-3000:]
        for client in clients:
            client.start()
        # Saturated: a probe on the web port now waits behind the slow requests.
        assert wait_for(lambda: timed_get(f"{web}/healthz/live", timeout=0.5)[0] is None, 10)

        live = timed_get(f"{health}/healthz/live", timeout=1)
        ready = timed_get(f"{health}/healthz/ready", timeout=1)
        overall = timed_get(f"{health}/healthz", timeout=1)
    finally:
        stop_group(proc, grace=5)

    assert live[0] == 200 and live[1] < 1, live
    assert ready[0] == 200 and ready[1] < 1, ready
    assert overall[0] == 200 and overall[1] < 1, overall
