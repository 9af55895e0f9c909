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


def count_queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response
