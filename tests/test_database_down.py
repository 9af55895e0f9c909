"""While PostgreSQL is unreachable: 503 with Retry-After, the API's JSON error shape
under /api/, a plain "temporarily unavailable" page elsewhere, never a traceback;
liveness stays 200 (the process is fine), readiness 503. Then it heals by itself.

"Unreachable" is real: the connection is pointed at a port where nothing listens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from cases import tokens
from tests.processes import ROOT, answers, free_port, stop_group, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_unreachable() -> Iterator[None]:
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert "OperationalError" not in text
    assert "psycopg" not in text


def test_the_api_answers_503_in_its_error_shape_with_retry_after(partner: Any) -> None:
    _, secret = tokens.create_token(partner, name="scanner", days=1)
    client = APIClient()
    client.raise_request_exception = False
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    with database_unreachable():
        response = client.get("/api/v1/cases/")
        write = client.post("/api/v1/reports/", {"title": "x"}, format="json")

    for answer in (response, write):
        assert answer.status_code == 503
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["error"]["code"] == "unavailable"
        assert set(answer.json()["error"]) == {"code", "message", "fields"}
        assert int(answer["Retry-After"]) > 0
        assert_no_traceback(answer.content.decode())
    assert client.get("/api/v1/cases/").status_code == 200  # healed, no restart


def test_the_api_answers_503_json_when_a_middleware_meets_the_outage(partner: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(partner)  # the session is read by middleware, before DRF

    with database_unreachable():
        response = client.get("/api/v1/me/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert int(response["Retry-After"]) > 0


def test_a_page_answers_a_plain_temporarily_unavailable_page(partner: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(partner)

    with database_unreachable():
        response = client.get("/cases/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Temporarily unavailable" in page
    assert_no_traceback(page)
    assert client.get("/cases/").status_code == 200


def test_liveness_stays_200_and_readiness_turns_503() -> None:
    client = Client(raise_request_exception=False)

    with database_unreachable():
        live = client.get("/healthz/live")
        ready = client.get("/healthz/ready")
        overall = client.get("/healthz")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["ok"] is False
    assert overall.status_code == 503


def test_other_uncaught_api_errors_are_a_json_500(partner: Any, monkeypatch: Any) -> None:
    from cases import api

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.MeSerializer, "to_representation", boom)
    client = Client(raise_request_exception=False)
    client.force_login(partner)

    response = client.get("/api/v1/me/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert_no_traceback(response.content.decode())


@pytest.mark.slow
def test_a_production_server_without_its_database_answers_503_not_500(tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/akrites",  # closed
        "DJANGO_SETTINGS_MODULE": "akrites.settings_test",
        "DEBUG": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "HEALTH_BIND": f"127.0.0.1:{health_port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "akrites/gunicorn.conf.py", "akrites.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: answers(f"{base}/healthz/live"), 60), log.read_text()[-3000:]
        api = get(f"{base}/api/v1/cases/", {"Authorization": "Token akr_0123456789abcdef"})
        page = get(f"{base}/cases/", {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"})
        ready = get(f"http://127.0.0.1:{health_port}/healthz/ready")
        live = get(f"http://127.0.0.1:{health_port}/healthz/live")
    finally:
        stop_group(proc)

    assert api[0] == 503, api
    assert json.loads(api[2])["error"]["code"] == "unavailable"
    assert int(api[1]["Retry-After"]) > 0
    assert page[0] == 503, page
    assert "Temporarily unavailable" in page[2]
    for _, _, body in (api, page):
        assert_no_traceback(body)
    assert ready[0] == 503
    assert live[0] == 200
