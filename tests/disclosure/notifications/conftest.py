"""Helpers for the notification tests: rows by recipient, and a real local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from disclosure.notifications.models import Channel, Notification


def rows_for(user: Any, kind: str | None = None, channel: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    return list(qs)


def emails_to(user: Any, kind: str) -> list[Notification]:
    return rows_for(user, kind, Channel.EMAIL)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each request, answers ``status``."""

    url: str = ""
    status: int = 204
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    expect: int = 0  # set ``done`` once this many requests arrived
    delay: float = 0.0  # seconds before answering: a slow partner
    done: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"]["webhook-id"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if state.delay:
                threading.Event().wait(state.delay)  # a real peer's slowness, not a test's
            with state.lock:
                state.requests.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "json": json.loads(body or b"{}"),
                    }
                )
                if state.expect and len(state.requests) >= state.expect:
                    state.done.set()
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
