"""`make run` (run_portal) and `make serve` (scripts/serve.sh) stop within a bounded time
even when the task cluster does not: django-q2 waits for a running task before it
exits (up to Q_TIMEOUT), and has hung in its own signal handler. Each gets one
SIGTERM, then STOP_GRACE_SECONDS; whatever is left of its process group is killed
with SIGKILL, and the output says so.

The cluster is kept busy by a real task that sleeps for two minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from tests.processes import (
    ROOT,
    answers,
    children_of,
    database_url,
    free_port,
    group_alive,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc"),
]

GRACE = 4


def busy_cluster_task() -> None:
    async_task("time.sleep", 120, group="stop-test")


def picked_up() -> bool:
    # The ORM broker queues a task locked until now; a cluster that takes it locks it
    # until Q_RETRY seconds ahead.
    return OrmQ.objects.filter(lock__gt=timezone.now()).exists()


def kill_leftovers(proc: subprocess.Popen, groups: list[int]) -> None:
    """However the test ends: the command, and every group its children lead."""
    groups = [*groups, *children_of(proc.pid)]
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pgid in groups:
        if group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)


def test_run_portal_kills_a_cluster_that_does_not_stop_within_the_grace_period(
    tmp_path: Path,
) -> None:
    busy_cluster_task()
    port = free_port()
    log = tmp_path / "run.log"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "AKRITES_DATA_DIR": str(tmp_path),
        "Q_WORKERS": "1",
        "STOP_GRACE_SECONDS": str(GRACE),
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_portal", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    groups = [proc.pid]
    try:
        assert wait_for(lambda: "Akrites is running at" in log.read_text(), 60), log.read_text()
        assert wait_for(picked_up, 30), "the cluster never picked the task up"
        groups += children_of(proc.pid)  # the cluster leads a group of its own

        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=GRACE + 20) == 0
        took = time.monotonic() - started

        output = log.read_text()
        assert "Stopping the task cluster (SIGTERM to process" in output
        assert f"The task cluster did not stop within {GRACE} s: sent SIGKILL to process group" in (
            output
        )
        assert "The web server stopped." in output
        assert took < GRACE + 10
        assert wait_for(lambda: not any(group_alive(g) for g in groups), 10)
    finally:
        kill_leftovers(proc, groups)


def test_serve_kills_a_cluster_that_does_not_stop_within_the_grace_period(
    tmp_path: Path,
) -> None:
    busy_cluster_task()
    # The real interpreter for everything but the preparation steps, which are
    # tested elsewhere (collectstatic alone takes ten seconds).
    python = tmp_path / "python"
    python.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in "manage.py collectstatic"|"manage.py migrate") exit 0;; esac\n'
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    port, health_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "PY": str(python),
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,  # the key the queued task is signed with
        "SERVE_MIGRATE": "0",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "HEALTH_BIND": f"127.0.0.1:{health_port}",
        "GUNICORN_GRACEFUL_TIMEOUT": "2",
        "GUNICORN_ACCESS_LOG": "",
        "Q_WORKERS": "1",
        "STOP_GRACE_SECONDS": str(GRACE),
    }
    proc = subprocess.Popen(
        ["scripts/serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    groups = [proc.pid]
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{health_port}/healthz/live"), 60), (
            log.read_text()[-3000:]
        )
        assert wait_for(picked_up, 30), "the cluster never picked the task up"
        children = children_of(proc.pid)
        assert len(children) == 2, children
        assert all(os.getpgid(pid) == pid for pid in children)  # each leads its own group
        groups += children

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=GRACE + 20) == 0
        took = time.monotonic() - started

        output = log.read_text()
        assert "serve: stopping the task cluster (qcluster) (SIGTERM to process" in output, output
        assert (
            f"serve: the task cluster (qcluster) did not stop within {GRACE} s: "
            "sent SIGKILL to process group"
        ) in output, output
        assert "serve: the web server (gunicorn) stopped" in output
        assert took < GRACE + 10
        assert wait_for(lambda: not any(group_alive(g) for g in groups), 10)
    finally:
        kill_leftovers(proc, groups)
