"""Over the wire: throughput of `make serve` under concurrent API clients, and the
resident memory of one web worker after 1,000 requests.

The load generator is ``wrk`` (Debian package ``wrk``) when installed: it is written
in C and leaves the CPU to the server. Without it a Python client with one thread
per connection stands in (and says so in the results; it costs more CPU itself).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench import BENCH_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(port: int, **extra: str) -> dict[str, str]:
    from bench.scenarios import configure_environment

    configure_environment()
    env = dict(os.environ)
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        SERVE_MIGRATE="0",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_LOG_LEVEL="warning",
        PY=PY,
    )
    # Several workers need a shared cache (``make serve`` refuses otherwise): Redis as in
    # production, ``BENCH_REDIS_URL`` (a database of its own); without one, per-worker
    # caches (the benchmark opens the throttles anyway).
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    if redis_url and "REDIS_URL" not in os.environ:
        env["REDIS_URL"] = redis_url
    env.setdefault("ALLOW_LOCAL_CACHE", "1")
    env.update(extra)
    return env


class Server:
    """``scripts/serve.sh`` (gunicorn + qcluster) in its own process group."""

    def __init__(self, port: int, **env: str) -> None:
        self.port = port
        self.log = open(ROOT / ".data" / f"bench-serve-{port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh")],
            cwd=ROOT,
            env=server_env(port, **env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log.name}")
            try:
                status, _ = get(self.port, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"server not healthy after {timeout}s; see {self.log.name}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: children of the gunicorn master (the arbiter)."""
        out = subprocess.run(
            ["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True
        ).stdout
        rows = [line.split(None, 2) for line in out.splitlines()[1:]]
        masters = {
            int(pid)
            for pid, ppid, args in rows
            if int(ppid) == self.proc.pid and "gunicorn" in args
        }
        return [int(pid) for pid, ppid, _ in rows if int(ppid) in masters]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def make_token(username: str) -> str:
    """An API token for a bench persona, made through the project's own models."""
    out = subprocess.run(
        [PY, "-m", "bench.http", "token", username],
        cwd=ROOT,
        env=server_env(0),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


# --------------------------------------------------------------------------- load


def load(port: int, path: str, token: str, *, clients: int, seconds: int) -> dict[str, Any]:
    if shutil.which("wrk"):
        return _wrk(port, path, token, clients=clients, seconds=seconds)
    return _threads(port, path, token, clients=clients, seconds=seconds)


def _wrk(port: int, path: str, token: str, *, clients: int, seconds: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-H",
            f"Authorization: Token {token}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0
    )

    def pct(label: str) -> float | None:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)

    return {
        "tool": "wrk",
        "requests": total,
        "rps": rps,
        "errors": errors,
        "median_ms": pct("50"),
        "p99_ms": pct("99"),
    }


def _threads(port: int, path: str, token: str, *, clients: int, seconds: int) -> dict[str, Any]:
    stop_at = time.monotonic() + seconds
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = errors = 0
        mine: list[float] = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": f"Token {token}"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    ok += 1
                else:
                    errors += 1
            except OSError:
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    total = counts["ok"] + counts["errors"]
    return {
        "tool": "python threads",
        "requests": total,
        "rps": round(total / elapsed, 1),
        "errors": counts["errors"],
        "median_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
    }


def throughput(clients: int, seconds: int) -> dict[str, Any]:
    """50 API clients on the partner's case list, then on the API floor, same server."""
    port = free_port()
    server = Server(port, SERVE_ROLE="all")
    try:
        server.wait_healthy()
        token = make_token("bench-partner")
        headers = {"Authorization": f"Token {token}"}
        status, body = get(port, "/api/v1/cases/", headers)
        if status != 200:
            raise RuntimeError(f"/api/v1/cases/ answered {status}: {body[:200]!r}")
        return {
            "workers": len(server.worker_pids()),
            "api_case_list": load(port, "/api/v1/cases/", token, clients=clients, seconds=seconds),
            "floor_api": load(port, "/bench/floor/api/", token, clients=clients, seconds=seconds),
        }
    finally:
        server.stop()


def web_session(port: int, username: str, password: str) -> dict[str, str]:
    """Sign in through the real form; returns the headers of a browser session."""
    status, body, cookies = _request(port, "GET", "/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    status, body, more = _request(
        port,
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    cookies.update(more)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"sign-in of {username} failed: HTTP {status}")
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def _request(
    port: int, method: str, path: str, body: str | None = None, headers: dict | None = None
) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return response.status, response.read(), cookies
    finally:
        conn.close()


def memory(requests: int = 1000) -> dict[str, Any]:
    """RSS of a single web worker after ``requests`` requests of the usual mix:
    the partner's API calls and the maintainer's pages, signed in as each would be."""
    port = free_port()
    server = Server(port, SERVE_ROLE="web", WEB_CONCURRENCY="1", GUNICORN_MAX_REQUESTS="0")
    try:
        server.wait_healthy()
        (pid,) = server.worker_pids()
        before = rss_kb(pid)
        token = make_token("bench-partner")
        headers = {"Authorization": f"Token {token}"}
        _, body = get(port, "/api/v1/cases/", headers)
        refs = [c["reference"] for c in json.loads(body)["results"]][:20] or ["none"]
        browser = web_session(port, "bench-maintainer", BENCH_PASSWORD)
        calls = [(p, headers) for p in ["/api/v1/cases/", "/bench/floor/api/", "/api/v1/me/"]]
        calls += [(f"/api/v1/cases/{urllib.parse.quote(r)}/", headers) for r in refs]
        calls += [(p, browser) for p in ["/", "/cases/", "/bench/floor/"]]
        statuses: dict[int, int] = {}
        for i in range(requests):
            path, how = calls[i % len(calls)]
            status, _ = get(port, path, how)
            statuses[status] = statuses.get(status, 0) + 1
        return {
            "requests": requests,
            "statuses": statuses,
            "rss_mb_after_start": round(before / 1024, 1),
            "rss_mb": round(rss_kb(pid) / 1024, 1),
        }
    finally:
        server.stop()


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def _token_command(username: str) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    user = get_user_model().objects.get(username=username)
    token, secret = AuthToken.objects.create(user=user, expiry=timedelta(hours=3))
    from cases.models import ApiToken

    ApiToken.objects.create(token=token, user=user, name="bench over http")
    print(secret)


if __name__ == "__main__":
    if sys.argv[1:2] == ["token"]:
        from bench.scenarios import configure_environment

        configure_environment()
        _token_command(sys.argv[2])
