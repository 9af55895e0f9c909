"""Two sweeps at once lift an embargo exactly once (real transactions, two threads)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from disclosure import services
from disclosure.models import Embargo, EmbargoPolicy, EmbargoState
from tests.factories import make_case, make_organisation, make_user


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_lift_an_embargo_once() -> None:
    sirt = make_organisation("sirt", name="SIRT for the race")
    coordinator = make_user("race-coord", organisation=sirt)
    case = make_case(coordinator)
    services.start_clock(
        case,
        coordinator,
        # Not the seeded row: a transactional test must not depend on migration data
        # (the flush after another transactional test removes it).
        policy=EmbargoPolicy.objects.get_or_create(
            code="race",
            defaults={"name": "Race", "clock_start": "first_notification", "default_days": 14},
        )[0],
        started_by="Distros post",
        started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=14, seconds=1),
    )
    barrier = threading.Barrier(2)
    results: list[int] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(services.lift_due_embargoes())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [0, 1]
    assert Embargo.objects.get(case=case).state == EmbargoState.LIFTED
    assert case.timeline.filter(action="case.embargo.lifted").count() == 1
