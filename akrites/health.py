"""Health probes for load balancers, orchestrators and monitors.

Anonymous, no case data, never cached:

- ``/healthz/live`` (liveness): the process answers. No database: a database outage
  must not get healthy web processes restarted.
- ``/healthz/ready`` (readiness): the database answers and every migration is
  applied; 503 otherwise, so no traffic reaches a process that cannot serve it.
- ``/healthz``: the database and the task queue's broker, 200 or 503. Whether a
  django-q2 cluster is working the queue is reported but does not fail the check: a
  web machine stays in rotation while the worker machines restart, and the load
  balancer cannot fix a missing worker anyway.

Under gunicorn the same answers also come from a listener in the master process
(``akrites/health_listener.py``), which answers while every worker is busy.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# A schedule or queued task waiting longer than this means no cluster is working.
STALL_AFTER = timedelta(minutes=5)


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        # The class name only: messages can carry host names or credentials.
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict[str, Any]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def cluster_status(now: Any = None) -> str:
    """``running``, ``stalled`` or ``unknown``, from what the cluster leaves behind.

    django-q2 keeps its own heartbeat (``Stat``) in the Django cache, which is
    per-process unless a shared cache is configured; so when it has nothing to say,
    the queue tables answer instead: a schedule long overdue or a task long waiting
    means no cluster is picking work up.
    """
    from django_q.brokers import get_broker
    from django_q.models import OrmQ, Schedule
    from django_q.status import Stat

    if Stat.get_all(get_broker()):
        return "running"
    now = now or timezone.now()
    late = now - STALL_AFTER
    if (
        Schedule.objects.filter(next_run__lt=late).exists()
        or OrmQ.objects.filter(lock__lt=late).exists()
    ):
        return "stalled"
    if Schedule.objects.exists():
        return "running"
    return "unknown"


def check_queue() -> dict[str, Any]:
    from django_q.brokers import get_broker

    broker = get_broker()
    # The ORM broker's queue is a table in our database: reading its size proves
    # the broker is reachable (ping() of the ORM broker always says yes).
    broker.queue_size()
    try:
        cluster = cluster_status()
    except Exception:  # noqa: BLE001 - the heartbeat is informative, never a failure
        cluster = "unknown"
    return {"ok": bool(broker.ping()), "cluster": cluster}


_migrated = False


def check_migrations() -> dict[str, Any]:
    """Every migration of this code is applied. Remembered once true: migrations are
    not unapplied under a running release, and loading them costs ~100 ms."""
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections["default"])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return {"ok": False, "pending": len(pending)}
        _migrated = True
    return {"ok": True}


Answer = tuple[dict[str, Any], int]


def _verdict(checks: dict[str, dict[str, Any]]) -> Answer:
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return body, 200 if healthy else 503


def liveness() -> Answer:
    return {"status": "ok"}, 200


def readiness() -> Answer:
    return _verdict({"database": _timed(check_database), "migrations": _timed(check_migrations)})


def overall() -> Answer:
    return _verdict({"database": _timed(check_database), "queue": _timed(check_queue)})


def _respond(answer: Answer) -> JsonResponse:
    body, status = answer
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return _respond(overall())


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    return _respond(liveness())


@never_cache
@require_GET
def healthz_ready(request: HttpRequest) -> JsonResponse:
    return _respond(readiness())
