"""WSGI entry point for the health-under-load test: the portal, plus ``/slow/?s=N``,
which holds its sync worker for N seconds the way a slow export or a slow database
would. Never used outside that test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from akrites.wsgi import application as portal


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/slow/":
        seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("s", ["1"])[0])
        threading.Event().wait(seconds)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slow"]
    return portal(environ, start_response)
