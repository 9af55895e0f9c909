"""/healthz: what load balancers and monitors see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_q.models import Schedule

from akrites import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_the_database_and_queue_checks_to_anyone() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "queue"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["queue"]["ok"] is True
    assert "no-cache" in response["Cache-Control"]


def test_healthz_carries_no_case_data(case: Any) -> None:
    body = Client().get("/healthz").content.decode()

    assert case.reference not in body
    assert case.title not in body


def test_healthz_answers_503_when_the_database_check_fails(monkeypatch: Any) -> None:
    def broken() -> dict:
        raise ConnectionError("could not connect to server at db.internal:5432")

    monkeypatch.setattr(health, "check_database", broken)

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "ConnectionError",
        "ms": body["checks"]["database"]["ms"],
    }
    # The error message (host names, credentials) never reaches the response.
    assert "db.internal" not in response.content.decode()


def test_healthz_reports_a_stalled_cluster_without_failing() -> None:
    Schedule.objects.create(
        func="math.floor", next_run=timezone.now() - timedelta(minutes=30), name="late"
    )

    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["queue"]["cluster"] == "stalled"


def test_cluster_counts_as_running_while_schedules_are_on_time() -> None:
    Schedule.objects.create(
        func="math.floor", next_run=timezone.now() + timedelta(minutes=3), name="soon"
    )

    assert health.cluster_status() == "running"


def test_cluster_is_unknown_without_schedules_or_tasks() -> None:
    assert health.cluster_status() == "unknown"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_redirected_to_https_so_plain_http_probes_work() -> None:
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/login/").status_code == 301


def test_healthz_refuses_writes() -> None:
    assert Client().post("/healthz").status_code == 405


# --------------------------------------------------------------------------- live and ready


def test_liveness_answers_without_touching_the_database(
    django_assert_num_queries: Any, monkeypatch: Any
) -> None:
    def broken() -> dict:
        raise AssertionError("liveness must not check the database")

    monkeypatch.setattr(health, "check_database", broken)
    with django_assert_num_queries(0):
        response = Client().get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_checks_the_database_and_the_migrations() -> None:
    response = Client().get("/healthz/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations"}


def test_readiness_is_503_while_migrations_are_pending(monkeypatch: Any) -> None:
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)])

    response = Client().get("/healthz/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["pending"] == 1
    assert Client().get("/healthz/live").status_code == 200  # alive: do not restart it


def test_readiness_is_503_when_the_database_does_not_answer(monkeypatch: Any) -> None:
    def broken() -> dict:
        raise ConnectionError("could not connect")

    monkeypatch.setattr(health, "check_database", broken)

    assert Client().get("/healthz/ready").status_code == 503
    assert Client().get("/healthz/live").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_live_and_ready_are_not_redirected_to_https() -> None:
    assert Client().get("/healthz/live").status_code == 200
    assert Client().get("/healthz/ready").status_code == 200


def test_the_health_listener_answers_the_same_probes_on_its_own_port() -> None:
    import json
    import urllib.error
    import urllib.request

    from akrites import health_listener

    server = health_listener.start("127.0.0.1:0")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(f"{base}/healthz/live", timeout=5) as live:  # noqa: S310
            assert (live.status, json.loads(live.read())) == (200, {"status": "ok"})
            assert live.headers["Cache-Control"] == "no-store"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/cases/", timeout=5)  # noqa: S310
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
