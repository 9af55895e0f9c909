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

    assert [d.label for d in found] == ["Legacy source", "Every participant: the embargo ends"]
    assert found[1].case == cases[0]


def test_portal_wide_figures_are_kept_for_a_minute_for_the_sirt_only(
    settings: Any, coordinator: Any, maintainer: Any
) -> None:
    from django.core.cache import cache

    from cases.dashboard import portal_wide

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.delete("akrites:dashboard:sirt:probe")
    calls: list[str] = []

    def compute() -> int:
        calls.append("computed")
        return len(calls)

    try:
        assert portal_wide(coordinator, "probe", compute) == 1
        assert portal_wide(coordinator, "probe", compute) == 1  # kept
        assert portal_wide(maintainer, "probe", compute) == 2  # never for others
        assert portal_wide(maintainer, "probe", compute) == 3
    finally:
        cache.delete("akrites:dashboard:sirt:probe")


def test_in_tests_the_dashboard_figures_are_live(coordinator: Any) -> None:
    from cases.dashboard import portal_wide

    values = iter([1, 2])
    assert portal_wide(coordinator, "live", lambda: next(values)) == 1
    assert portal_wide(coordinator, "live", lambda: next(values)) == 2
