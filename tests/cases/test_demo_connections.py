"""The demo's web server on PostgreSQL closes each request's connection.

runserver answers each request in a thread of its own; with persistent connections
(``DB_CONN_MAX_AGE``) every thread left one idle connection behind (28 after 30
requests). ``run_portal`` starts it with ``DB_CONN_MAX_AGE=0``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from tests.cases.test_run_portal import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _connections_to(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_web_server_leaves_no_idle_connection_per_request_thread(tmp_path: Path) -> None:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DB_CONN_MAX_AGE": "60",  # what a deployment's environment may hold
        "AKRITES_DATA_DIR": str(tmp_path),
    }
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_portal", "--no-cluster", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for(lambda: "Akrites is running at" in log.read_text(), 60), log.read_text()
        before = _connections_to(db["NAME"])

        def get(_: int) -> int:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                return response.status

        with ThreadPoolExecutor(max_workers=10) as pool:
            assert set(pool.map(get, range(30))) == {200}
        # A connection closes a moment after its request has been answered.
        assert wait_for(lambda: _connections_to(db["NAME"]) <= before, 5), (
            f"{_connections_to(db['NAME'])} connections, {before} before the requests"
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
