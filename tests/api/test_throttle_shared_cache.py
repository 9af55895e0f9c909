"""Rate limits hold across processes: counted once, in a shared Redis, atomically.

An outside run passed 570 of 700 report submissions through a 120/hour limit across
five gunicorn workers, each counting in its own memory. Here two real server processes
on one Redis admit exactly the limit of a burst split between them; in one process,
many threads at once admit exactly the limit too (DRF's read-then-write counter lets
some through twice).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from cases.api_common import ReportSubmitThrottle
from cases.models import Report
from cases.tokens import create_token
from tests.factories import make_user
from tests.shared_cache import SharedCache, shared_cache  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 8


def _rates(settings: Any, **rates: str) -> dict[str, Any]:
    return {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_threads_hitting_one_limit_at_once_pass_exactly_the_limit(
    shared_cache: SharedCache,  # noqa: F811
    settings: Any,
) -> None:
    submitter = SimpleNamespace(method="POST", user=SimpleNamespace(pk=42, is_authenticated=True))

    def attempt(_: int) -> bool:
        return ReportSubmitThrottle().allow_request(submitter, None)

    with override_settings(
        CACHES=shared_cache.caches(), REST_FRAMEWORK=_rates(settings, report_submit="10/hour")
    ):
        with ThreadPoolExecutor(max_workers=16) as pool:
            admitted = list(pool.map(attempt, range(60)))
        refused = ReportSubmitThrottle()
        assert not refused.allow_request(submitter, None)
        wait = refused.wait()

    assert admitted.count(True) == 10
    assert wait is not None and 0 < wait <= 3600


def test_when_the_shared_cache_does_not_answer_requests_pass_and_it_is_logged(
    settings: Any, coordinator: Any, caplog: Any
) -> None:
    from cases import dashboard

    gone = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    submitter = SimpleNamespace(method="POST", user=SimpleNamespace(pk=7, is_authenticated=True))
    with override_settings(
        CACHES=gone,
        DASHBOARD_CACHE_SECONDS=60,
        REST_FRAMEWORK=_rates(settings, report_submit="1/hour"),
    ):
        passed = [ReportSubmitThrottle().allow_request(submitter, None) for _ in range(3)]
        figure = dashboard.portal_wide(coordinator, "test", lambda: 42)

    assert passed == [True, True, True]
    assert figure == 42
    assert "rate limit report_submit not checked: the cache does not answer" in caplog.text
    assert "dashboard figure test not cached" in caplog.text


# --------------------------------------------------------------------------- two servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    auth = (s["USER"] or "postgres") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_server(port: int, cache: SharedCache) -> subprocess.Popen:
    env = {
        **os.environ,
        **cache.env(),
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "API_THROTTLE_REPORT_SUBMIT": f"{LIMIT}/hour",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        + ["--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_until_serving(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server on {port} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server on {port} did not answer within {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def two_servers(shared_cache: SharedCache) -> Iterator[list[int]]:  # noqa: F811
    ports = [_free_port(), _free_port()]
    procs = [_start_server(port, shared_cache) for port in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_until_serving(port, proc)
        yield ports
    finally:
        for proc in procs:
            _stop(proc)


def _submit(port: int, secret: str, n: int) -> int:
    body = {
        "title": f"Heap overflow number {n} in libexample's parser",
        "description": f"Finding {n}: a crafted header of length {1000 + n} overflows a buffer.",
        "purl": "pkg:pypi/libexample@1.3.0",
        "cwe": "CWE-122",
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/reports/",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_on_one_redis_share_one_report_limit(
    two_servers: list[int],
) -> None:
    submitter = make_user("burst-reporter")
    _, secret = create_token(submitter, name="scanner", days=1)
    attempts = 3 * LIMIT

    # A burst split evenly across both processes, ten at a time.
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(lambda n: (n % 2, _submit(two_servers[n % 2], secret, n)), range(attempts))
        )

    per_status = Counter(status for _, status in statuses)
    assert per_status == {201: LIMIT, 429: attempts - LIMIT}, statuses
    assert {server for server, status in statuses if status == 429} == {0, 1}
    assert Report.objects.filter(reporter=submitter).count() == LIMIT
    # Once spent, the budget is spent on both.
    assert [_submit(port, secret, 1000 + i) for i, port in enumerate(two_servers)] == [429, 429]
