"""Idempotency-Key after a crash: the stored answer and the write commit together, so a
retry with the same key replays the committed answer or performs the write once.

Crashes tested: the database dropping the connection mid-request (the backend
terminated from another connection), the answer failing to store after the write,
a marker left behind by a request that died (its lease runs out), and a server
process that exits between the commit and the answer (slow: a real server).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import timezone

from cases import services, tokens
from cases.models import IdempotencyRecord, Report
from tests.api.conftest import token_client
from tests.processes import ROOT, answers, database_url, free_port, stop_group, wait_for

REPORT = {
    "title": "Use after free in fastparse stream reset",
    "description": "Resetting a stream twice frees the buffer twice.",
    "purl": "pkg:npm/fastparse@2.0.0",
    "cwe": "CWE-416",
}


def post(client: Any, key: str) -> Any:
    client.raise_request_exception = False
    return client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)


def terminate_own_backend() -> None:
    """What a database restart does to this request: its server process is gone."""
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_mid_request_is_503_and_the_retry_writes_once(
    partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = services.submit_report
    calls = {"n": 0}

    def dies_after_writing(**kwargs: Any) -> Any:
        calls["n"] += 1
        result = real(**kwargs)  # the report row is written, not yet committed
        if calls["n"] == 1:
            terminate_own_backend()
            Report.objects.count()  # the next query finds the connection gone
        return result

    monkeypatch.setattr(services, "submit_report", dies_after_writing)
    client = token_client(partner)

    first = post(client, "k-db-gone")

    assert first.status_code == 503
    assert first.json()["error"]["code"] == "unavailable"
    assert int(first["Retry-After"]) > 0
    assert Report.objects.count() == 0  # rolled back with the connection

    retry = post(client, "k-db-gone")

    assert retry.status_code == 201
    assert Report.objects.count() == 1
    assert post(client, "k-db-gone").json() == retry.json()
    assert calls["n"] == 2


@pytest.mark.django_db(transaction=True)
def test_when_the_answer_cannot_be_stored_the_write_is_rolled_back_too(
    partner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = IdempotencyRecord.save

    def fails_once(self: IdempotencyRecord, *args: Any, **kwargs: Any) -> None:
        if self.status_code is not None and not getattr(fails_once, "done", False):
            fails_once.done = True  # type: ignore[attr-defined]
            raise OperationalError("server closed the connection unexpectedly")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(IdempotencyRecord, "save", fails_once)
    client = token_client(partner)

    assert post(client, "k-no-record").status_code == 503
    assert Report.objects.count() == 0

    assert post(client, "k-no-record").status_code == 201
    assert Report.objects.count() == 1


def left_behind(user: Any, key: str, locked_until: Any) -> IdempotencyRecord:
    """The marker of a request that died before its write committed (and could not
    even delete its marker: the database was away)."""
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        method="POST",
        path="/api/v1/reports/",
        body_hash=hashlib.sha256(b"whatever was sent").hexdigest(),
        lease=None,
        locked_until=locked_until,
    )


@pytest.mark.django_db
def test_a_key_held_by_a_running_request_is_409_with_retry_after(partner: Any) -> None:
    client = token_client(partner)
    first = post(client, "k-held")  # to learn the body hash of this request
    record = IdempotencyRecord.objects.get(key="k-held")
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=None,
        response_body=None,
        locked_until=timezone.now() + timedelta(seconds=20),
    )
    Report.objects.all().delete()

    response = post(client, "k-held")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert 1 <= int(response["Retry-After"]) <= 20
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_a_marker_whose_lease_ran_out_is_taken_over_and_the_write_happens_once(
    partner: Any, settings: Any
) -> None:
    client = token_client(partner)
    post(client, "k-stuck")  # the stored answer, turned into a dead request's marker:
    IdempotencyRecord.objects.filter(key="k-stuck").update(
        status_code=None, response_body=None, locked_until=timezone.now()
    )
    Report.objects.all().delete()

    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS + 1)
    ):
        retry = post(client, "k-stuck")
        again = post(client, "k-stuck")

    assert retry.status_code == 201
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="k-stuck")
    assert (record.status_code, record.lease, record.locked_until) == (201, None, None)


@pytest.mark.django_db
def test_another_body_on_a_held_key_is_422_not_409(partner: Any) -> None:
    left_behind(partner, "k-other", timezone.now() + timedelta(seconds=5))
    client = token_client(partner)

    assert post(client, "k-other").status_code == 422  # another body: never replayed

    assert IdempotencyRecord.objects.count() == 1


# --------------------------------------------------------------------------- a real server


def start_server(port: int, log: Path, *, exit_after_commit: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "akrites.settings_test",
        "AKRITES_TEST_EXIT_AFTER_IDEMPOTENT_COMMIT": "1" if exit_after_commit else "0",
        "DEBUG": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def raw_post(url: str, secret: str, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        url,
        data=json.dumps(REPORT).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Token {secret}",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_server_killed_between_commit_and_answer_replays_the_committed_write(
    partner: Any, tmp_path: Path
) -> None:
    _, secret = tokens.create_token(partner, name="scanner", days=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"

    crashing = start_server(port, log, exit_after_commit=True)
    try:
        assert wait_for(lambda: answers(f"{base}/healthz/live"), 60), log.read_text()[-2000:]
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            raw_post(f"{base}/api/v1/reports/", secret, "k-crash")
        assert crashing.wait(timeout=20) == 3  # the hook's exit: after the commit
    finally:
        stop_group(crashing)

    assert Report.objects.count() == 1  # the write committed, with its answer
    record = IdempotencyRecord.objects.get(key="k-crash")
    assert record.status_code == 201

    healthy = start_server(port, log, exit_after_commit=False)
    try:
        assert wait_for(lambda: answers(f"{base}/healthz/live"), 60), log.read_text()[-2000:]
        status, headers, body = raw_post(f"{base}/api/v1/reports/", secret, "k-crash")
    finally:
        stop_group(healthy)

    assert status == 201
    assert headers["Idempotent-Replayed"] == "true"
    assert body["id"] == Report.objects.get().pk
    assert Report.objects.count() == 1
