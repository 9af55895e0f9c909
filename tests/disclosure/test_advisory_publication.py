"""``publish_due_advisories``: before, at and after the lift; idempotent; and two
workers at once publish each advisory exactly once (real threads, real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from disclosure.advisories.publication import publish_due_advisories
from disclosure.models import Advisory, AdvisoryRevision, AdvisoryState, EmbargoState
from tests.disclosure.advisory_factories import approved_advisory, set_embargo
from tests.disclosure.disc_factories import release_fix
from tests.factories import make_case

LIFT = dt.datetime(2027, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def scheduled(case, coordinator, second_coordinator) -> Advisory:
    with time_machine.travel(LIFT - dt.timedelta(days=10), tick=False):
        set_embargo(case, LIFT)
        release_fix(case, coordinator)  # the release gate holds nothing back here
        return approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)


def test_nothing_is_published_before_the_embargo_lifts(scheduled):
    with time_machine.travel(LIFT - dt.timedelta(seconds=1), tick=False):
        assert publish_due_advisories() == []

    scheduled.refresh_from_db()
    assert scheduled.state == AdvisoryState.SCHEDULED


def test_the_advisory_is_published_at_the_moment_the_embargo_lifts(scheduled):
    with time_machine.travel(LIFT, tick=False):
        assert publish_due_advisories() == [scheduled.pk]

    scheduled.refresh_from_db()
    assert scheduled.state == AdvisoryState.PUBLISHED
    assert scheduled.published_at == LIFT
    entry = scheduled.case.timeline.filter(action="case.advisory.published").get()
    assert entry.actor is None
    assert entry.data["automatic"] is True


def test_after_the_lift_a_second_run_publishes_nothing_again(scheduled):
    with time_machine.travel(LIFT + dt.timedelta(hours=5), tick=False):
        assert publish_due_advisories() == [scheduled.pk]
        assert publish_due_advisories() == []

    assert AdvisoryRevision.objects.filter(advisory=scheduled).count() == 1
    assert scheduled.case.timeline.filter(action="case.advisory.published").count() == 1


def test_a_lifted_or_broken_embargo_publishes_even_before_its_date(scheduled):
    embargo = set_embargo(scheduled.case, LIFT, EmbargoState.LIFTED)
    with time_machine.travel(LIFT - dt.timedelta(days=1), tick=False):
        assert publish_due_advisories() == [scheduled.pk]
    assert embargo.case.advisory.state == AdvisoryState.PUBLISHED


def test_an_extended_embargo_holds_the_publication_back(scheduled):
    set_embargo(scheduled.case, LIFT + dt.timedelta(days=7))
    with time_machine.travel(LIFT + dt.timedelta(days=1), tick=False):
        assert publish_due_advisories() == []


def test_only_scheduled_advisories_are_published(case, coordinator, second_coordinator):
    with time_machine.travel(LIFT - dt.timedelta(days=1), tick=False):
        set_embargo(case, LIFT)
        approved = approved_advisory(case, coordinator, second_coordinator)
    with time_machine.travel(LIFT + dt.timedelta(days=1), tick=False):
        assert publish_due_advisories() == []
    approved.refresh_from_db()
    assert approved.state == AdvisoryState.APPROVED


def test_the_management_command_publishes_what_is_due(scheduled):
    out = StringIO()
    with time_machine.travel(LIFT + dt.timedelta(minutes=1), tick=False):
        call_command("publish_advisories", stdout=out)
    assert "1 advisory published" in out.getvalue()
    scheduled.refresh_from_db()
    assert scheduled.is_public


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_publish_each_advisory_exactly_once(
    coordinator, second_coordinator, project, maintainer_org
):
    advisories = []
    for _ in range(3):
        case = make_case(coordinator, project=project, maintainers=maintainer_org)
        set_embargo(case, timezone.now() - dt.timedelta(minutes=1))
        release_fix(case, coordinator)
        advisories.append(
            approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)
        )
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(publish_due_advisories())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    published = [pk for run in results for pk in run]
    assert sorted(published) == sorted(a.pk for a in advisories)
    for advisory in advisories:
        assert AdvisoryRevision.objects.filter(advisory=advisory).count() == 1
        assert advisory.case.timeline.filter(action="case.advisory.published").count() == 1
        advisory.refresh_from_db()
        assert advisory.state == AdvisoryState.PUBLISHED
