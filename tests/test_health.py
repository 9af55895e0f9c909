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
