"""The reporter whose report opens a case is credited, like those merged in later."""

from __future__ import annotations

from typing import Any

import pytest

from cases import services
from tests.factories import make_report, make_user

pytestmark = pytest.mark.django_db


def test_the_reporter_of_the_report_that_opens_the_case_is_credited(
    coordinator: Any, project: Any
) -> None:
    first = make_user("first-finder", first_name="Fiona", last_name="Finder")
    second = make_user("second-finder")
    report = make_report(first)
    case = services.open_case_from_report(report, coordinator, projects=[project])
    services.merge_report_into_case(make_report(second, title="Same flaw"), case, coordinator)

    credits = case.vulnerabilities.get().credits.order_by("pk")

    assert [(c.user, c.name, c.kind, c.consented) for c in credits] == [
        (first, "Fiona Finder", "finder", True),
        (second, "second-finder", "finder", True),
    ]


def test_a_reporter_who_declined_credit_is_not_named(coordinator: Any, project: Any) -> None:
    report = make_report(make_user("shy"), wants_credit=False)

    case = services.open_case_from_report(report, coordinator, projects=[project])

    assert not case.vulnerabilities.get().credits.exists()
