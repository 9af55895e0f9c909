"""Health probes on their own port, answered by gunicorn's master process.

Sync workers serve one request each: behind enough slow requests, a probe queued on
the web port waits for all of them, and an orchestrator restarts a machine that is
merely busy. The master process never serves requests, so a small threaded HTTP
server there (started by ``akrites/gunicorn.conf.py``'s ``when_ready`` hook on
``HEALTH_BIND``) answers ``/healthz/live``, ``/healthz/ready`` and ``/healthz``
with the same checks as the web port (``akrites/health.py``), in milliseconds,
however busy the workers are. It serves nothing else (404).
"""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

from django.db import connections

from akrites import health

ROUTES = {
    "/healthz/live": health.liveness,
    "/healthz/ready": health.readiness,
    "/healthz": health.overall,
}

_server: ThreadingHTTPServer | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server_version = "akrites-health"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        route = ROUTES.get(self.path.split("?", 1)[0])
        if route is None:
            body, status = {"status": "not_found"}, 404
        else:
            try:
                body, status = route()
            finally:
                # Each probe runs in its own thread: close the connection it opened.
                connections.close_all()
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # probes every few seconds would drown the access log


def parse_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:port`` for IPv6) as a socket address."""
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def start(bind: str) -> ThreadingHTTPServer:
    """Listen on ``bind`` and answer probes from a daemon thread of this process."""
    global _server
    host, port = parse_bind(bind)
    server = (_Server6 if ":" in host else _Server)((host, port), _Handler)
    Thread(target=server.serve_forever, name="health-listener", daemon=True).start()
    _server = server
    return server


def close_inherited() -> None:
    """In a forked worker: drop the copy of the master's listening socket (the
    thread that serves it exists only in the master)."""
    global _server
    if _server is not None:
        _server.socket.close()
        _server = None
