"""The dashboard lists the soonest deadlines only, however many cases a coordinator sees."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cases.dashboard import _SOURCES, Deadline, register_deadline_source, upcoming_deadlines
from cases.views.home import DEADLINE_LIMIT
from disclosure.models import Embargo, EmbargoState
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _embargoed_cases(coordinator: Any, project: Any, n: int) -> list[Any]:
    now = timezone.now()
    cases = []
    for i in range(n):
        case = make_case(coordinator, project=project)
        Embargo.objects.update_or_create(
            case=case,
            defaults={"state": EmbargoState.ACTIVE, "public_at": now + timedelta(hours=10 + i)},
        )
        cases.append(case)
    return cases


def test_the_dashboard_shows_the_soonest_deadlines_and_says_there_are_more(
    client_for: Any, coordinator: Any, project: Any
) -> None:
    cases = _embargoed_cases(coordinator, project, DEADLINE_LIMIT + 3)

    page = client_for(coordinator).get("/").content.decode()

    assert cases[0].reference in page
    assert cases[DEADLINE_LIMIT - 1].reference in page
    assert cases[DEADLINE_LIMIT + 2].reference not in page
    assert f"The soonest {DEADLINE_LIMIT} only" in page


def test_upcoming_deadlines_stops_at_the_limit_and_keeps_sources_without_one(
    coordinator: Any, project: Any
) -> None:
    cases = _embargoed_cases(coordinator, project, 4)
    soon = timezone.now() + timedelta(minutes=5)

    def legacy(cases_qs: Any, until: Any) -> list[Deadline]:
        return [Deadline(cases[3], "Legacy source", soon, "other")]

    register_deadline_source(legacy)
    try:
        found = upcoming_deadlines(coordinator, 14, limit=2)
    finally:
        _SOURCES.remove(legacy)

    assert [d.label for d in found] == ["Legacy source", "Embargo ends"]
    assert found[1].case == cases[0]
