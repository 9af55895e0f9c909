"""Fixtures of the embargo and release tests: a frozen clock, policies, deployers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from cases import services as case_services
from cases.models import Case, Organisation, ParticipantRole
from disclosure.models import EmbargoPolicy
from tests.factories import make_organisation, make_user

# A Monday morning, well inside the seeded policies' world.
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(db: Any) -> Iterator[time_machine.Coordinates]:
    """Time stands still at MONDAY until the test moves it (``frozen.move_to``)."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def policy(db: Any) -> Any:
    """``policy("standard")``: a seeded policy by code."""

    def get(code: str) -> EmbargoPolicy:
        return EmbargoPolicy.objects.get(code=code)

    return get


@pytest.fixture
def downstream_org(db: Any) -> Organisation:
    return make_organisation(Organisation.Kind.DOWNSTREAM, name="Example Linux")


@pytest.fixture
def downstream(downstream_org: Organisation) -> Any:
    return make_user("distro", organisation=downstream_org)


@pytest.fixture
def deploy_case(partner_case: Case, coordinator: Any, downstream_org: Organisation) -> Case:
    """The libexample case with a partner and a downstream organisation taking part."""
    case_services.add_participant(
        partner_case,
        coordinator,
        organisation=downstream_org,
        role=ParticipantRole.DOWNSTREAM,
        notify=False,
    )
    return partner_case


def actions(case: Case) -> list[str]:
    return list(case.timeline.order_by("id").values_list("action", flat=True))
