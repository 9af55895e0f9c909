"""Helpers for the cases UI tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case


def embargo(case: Case, *, days: float = 10) -> Any:
    from disclosure.models import Embargo, EmbargoState

    return Embargo.objects.create(
        case=case, state=EmbargoState.ACTIVE, public_at=timezone.now() + timedelta(days=days)
    )


def _is_bookkeeping(sql: str) -> bool:
    # The idle-timeout middleware re-saves the session at most once a minute: not a
    # cost of the page, and it would make the counts depend on how long setup took.
    return sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) or (
        "django_session" in sql and not sql.startswith("SELECT")
    )


def count_queries(client: Any, url: str) -> tuple[int, Any]:
    """Queries one GET costs (session bookkeeping left out), and the response."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len([q for q in ctx.captured_queries if not _is_bookkeeping(q["sql"])]), response
