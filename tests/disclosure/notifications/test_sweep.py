"""The deadline sweep: each reminder before, at and after its window, once, even when late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case, Organisation, ParticipantRole
from disclosure.models import Advisory, AdvisoryState, Embargo, EmbargoState
from disclosure.models.release import (
    DeploymentReport,
    DeploymentStatus,
    PreNotification,
    ReleasePlan,
)
from disclosure.notifications import sweep
from disclosure.notifications.models import CaseMute, Channel, Notification
from tests.disclosure.notifications.conftest import rows_for
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def sweep_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sweep.run()


def kinds_for(user: Any) -> list[str]:
    return sorted(
        n.key for n in Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
    )


@pytest.fixture
def case_at_t0(coordinator: Any, project: Any, maintainer_org: Organisation, reporter: Any) -> Case:
    """A case opened at T0 with the libexample maintainers invited at T0."""
    with time_machine.travel(T0, tick=False):
        case = make_case(coordinator, project=project, maintainers=maintainer_org)
        Notification.objects.all().delete()  # the opening events; only the sweep counts here
    return case


# --------------------------------------------------------------------------- acknowledgement


def test_no_acknowledgement_reminder_before_one_day(case_at_t0: Case, maintainer: Any) -> None:
    assert sweep_at(T0 + DAY - dt.timedelta(seconds=1)) == 0
    assert kinds_for(maintainer) == []


def test_a_silent_maintainer_is_reminded_after_one_day(
    case_at_t0: Case, maintainer: Any, coordinator: Any
) -> None:
    sweep_at(T0 + DAY)

    assert kinds_for(maintainer) == ["reminder.acknowledge"]
    assert rows_for(maintainer, "reminder.acknowledge", Channel.EMAIL)
    assert kinds_for(coordinator) == []


def test_the_acknowledgement_reminder_is_sent_once_however_often_the_sweep_runs(
    case_at_t0: Case, maintainer: Any
) -> None:
    for moment in (T0 + DAY, T0 + DAY + 5 * 60 * dt.timedelta(seconds=1), T0 + 30 * HOUR):
        sweep_at(moment)
        sweep_at(moment)

    assert kinds_for(maintainer) == ["reminder.acknowledge"]


def test_a_missed_sweep_catches_up_with_one_reminder(case_at_t0: Case, maintainer: Any) -> None:
    sweep_at(T0 + 12 * HOUR)  # too early
    sweep_at(T0 + 40 * HOUR)  # the runs in between were missed
    sweep_at(T0 + 41 * HOUR)

    assert kinds_for(maintainer) == ["reminder.acknowledge"]


def test_after_two_days_the_coordinators_get_an_escalation(
    case_at_t0: Case, maintainer: Any, coordinator: Any
) -> None:
    sweep_at(T0 + DAY)
    sweep_at(T0 + 2 * DAY)
    sweep_at(T0 + 2 * DAY + HOUR)

    assert kinds_for(coordinator) == ["escalation.acknowledge"]
    assert kinds_for(maintainer) == ["reminder.acknowledge"]
    (escalation,) = rows_for(coordinator, "escalation.acknowledge", Channel.EMAIL)
    assert escalation.escalation


def test_a_sweep_that_was_down_for_days_escalates_once_without_a_late_reminder(
    case_at_t0: Case, maintainer: Any, coordinator: Any
) -> None:
    sweep_at(T0 + 3 * DAY)
    sweep_at(T0 + 3 * DAY + HOUR)

    assert kinds_for(coordinator) == ["escalation.acknowledge"]
    assert kinds_for(maintainer) == []


def test_an_acknowledged_case_needs_no_reminder(case_at_t0: Case, maintainer: Any) -> None:
    with time_machine.travel(T0 + HOUR, tick=False):
        services.acknowledge(case_at_t0, maintainer)

    sweep_at(T0 + 3 * DAY)

    assert Notification.objects.filter(kind__endswith="acknowledge").count() == 0


def test_escalations_reach_coordinators_who_muted_the_case(
    case_at_t0: Case, coordinator: Any
) -> None:
    CaseMute.objects.create(user=coordinator, case=case_at_t0)

    sweep_at(T0 + 2 * DAY)

    assert kinds_for(coordinator) == ["escalation.acknowledge"]


def test_reminders_do_not_reach_a_maintainer_who_muted_the_case(
    case_at_t0: Case, maintainer: Any
) -> None:
    CaseMute.objects.create(user=maintainer, case=case_at_t0)

    sweep_at(T0 + DAY)

    assert kinds_for(maintainer) == []


# --------------------------------------------------------------------------- embargo


@pytest.fixture
def embargoed(case_at_t0: Case) -> Embargo:
    return Embargo.objects.create(
        case=case_at_t0, state=EmbargoState.ACTIVE, public_at=T0 + 30 * DAY
    )


def test_embargo_reminders_come_at_seven_days_two_days_and_one_day(
    embargoed: Embargo, maintainer: Any, coordinator: Any, outsider: Any, other_maintainer: Any
) -> None:
    public = embargoed.public_at
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        services.acknowledge(embargoed.case, maintainer)

    sweep_at(public - 7 * DAY - dt.timedelta(seconds=1))
    assert kinds_for(maintainer) == []

    sweep_at(public - 7 * DAY)
    sweep_at(public - 6 * DAY)
    assert kinds_for(maintainer) == ["reminder.embargo.168h"]

    sweep_at(public - 2 * DAY)
    sweep_at(public - 24 * HOUR)
    sweep_at(public - HOUR)

    expected = ["reminder.embargo.168h", "reminder.embargo.24h", "reminder.embargo.48h"]
    assert kinds_for(maintainer) == expected
    assert kinds_for(coordinator) == expected
    assert kinds_for(outsider) == []
    assert kinds_for(other_maintainer) == []


def test_a_late_sweep_sends_only_the_embargo_reminder_that_applies_now(
    embargoed: Embargo, coordinator: Any
) -> None:
    public = embargoed.public_at
    sweep_at(public - 8 * DAY)
    sweep_at(public - 36 * HOUR)  # the 7-day run was missed
    sweep_at(public - 35 * HOUR)

    assert kinds_for(coordinator) == ["reminder.embargo.48h"]


def test_moving_the_public_date_schedules_reminders_for_the_new_date(
    embargoed: Embargo, coordinator: Any
) -> None:
    public = embargoed.public_at
    sweep_at(public - 7 * DAY)
    Embargo.objects.filter(pk=embargoed.pk).update(public_at=public + 14 * DAY)

    sweep_at(public - 7 * DAY + HOUR)
    sweep_at(public + 7 * DAY)

    assert kinds_for(coordinator) == ["reminder.embargo.168h", "reminder.embargo.168h"]
    dues = sorted(n.due_at for n in rows_for(coordinator, channel=Channel.IN_APP))
    assert dues == [public, public + 14 * DAY]


def test_an_embargo_not_lifted_after_its_date_escalates_to_the_coordinators(
    embargoed: Embargo, coordinator: Any, maintainer: Any
) -> None:
    public = embargoed.public_at
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        services.acknowledge(embargoed.case, maintainer)

    sweep_at(public + 29 * dt.timedelta(minutes=1))
    assert "escalation.overdue.embargo" not in kinds_for(coordinator)

    sweep_at(public + 31 * dt.timedelta(minutes=1))
    sweep_at(public + HOUR)
    assert kinds_for(coordinator).count("escalation.overdue.embargo") == 1
    assert "escalation.overdue.embargo" not in kinds_for(maintainer)


# --------------------------------------------------------------------------- release


@pytest.fixture
def plan(case_at_t0: Case, maintainer: Any) -> ReleasePlan:
    with time_machine.travel(T0 + HOUR, tick=False):
        services.acknowledge(case_at_t0, maintainer)
    return ReleasePlan.objects.create(case=case_at_t0, target_at=T0 + 20 * DAY)


def test_release_reminders_come_at_two_days_and_one_day_before_the_target(
    plan: ReleasePlan, maintainer: Any
) -> None:
    target = plan.target_at
    sweep_at(target - 2 * DAY - dt.timedelta(seconds=1))
    assert kinds_for(maintainer) == []

    sweep_at(target - 2 * DAY)
    sweep_at(target - 30 * HOUR)
    sweep_at(target - 24 * HOUR)
    sweep_at(target - 23 * HOUR)

    assert kinds_for(maintainer) == ["reminder.release.24h", "reminder.release.48h"]


def test_a_release_past_its_target_escalates_once(plan: ReleasePlan, coordinator: Any) -> None:
    sweep_at(plan.target_at + HOUR)
    sweep_at(plan.target_at + 2 * HOUR)

    assert kinds_for(coordinator).count("escalation.overdue.release") == 1


def test_a_released_plan_gets_no_release_reminders(plan: ReleasePlan, coordinator: Any) -> None:
    ReleasePlan.objects.filter(pk=plan.pk).update(released_at=plan.target_at - 3 * DAY)

    sweep_at(plan.target_at - DAY)
    sweep_at(plan.target_at + HOUR)

    assert [k for k in kinds_for(coordinator) if "release" in k] == []


# --------------------------------------------------------------------------- pre-notification


def test_the_pre_notification_goes_to_each_listed_organisation_when_its_date_comes(
    plan: ReleasePlan,
    coordinator: Any,
    partner_org: Organisation,
    partner: Any,
    maintainer: Any,
) -> None:
    services.add_participant(
        plan.case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    downstream_org = make_organisation(Organisation.Kind.DOWNSTREAM)
    downstream = make_user(organisation=downstream_org)
    services.add_participant(
        plan.case,
        coordinator,
        organisation=downstream_org,
        role=ParticipantRole.DOWNSTREAM,
        notify=False,
    )
    notify_at = plan.target_at - 5 * DAY
    pn = PreNotification.objects.create(plan=plan, organisation=partner_org, notify_at=notify_at)
    PreNotification.objects.create(
        plan=plan, organisation=downstream_org, notify_at=notify_at + DAY
    )

    sweep_at(notify_at - dt.timedelta(seconds=1))
    assert "prenotification.due" not in kinds_for(partner)

    sweep_at(notify_at)
    sweep_at(notify_at + HOUR)

    assert kinds_for(partner).count("prenotification.due") == 1
    assert "prenotification.due" not in kinds_for(downstream)
    assert "prenotification.due" not in kinds_for(maintainer)
    pn.refresh_from_db()
    assert pn.sent_at is not None
    assert plan.case.timeline.filter(action="case.release.prenotification_sent").count() == 1

    sweep_at(notify_at + 3 * DAY)  # late for the second one: it still goes, once
    sweep_at(notify_at + 3 * DAY + HOUR)
    assert kinds_for(downstream).count("prenotification.due") == 1


def test_a_pre_notification_sent_by_hand_is_not_sent_again_by_the_sweep(
    plan: ReleasePlan, coordinator: Any, partner_org: Organisation, partner: Any
) -> None:
    services.add_participant(
        plan.case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    notify_at = plan.target_at - 5 * DAY
    PreNotification.objects.create(
        plan=plan, organisation=partner_org, notify_at=notify_at, sent_at=notify_at - DAY
    )

    sweep_at(notify_at + HOUR)

    assert "prenotification.due" not in kinds_for(partner)


# --------------------------------------------------------------------------- deployment


def test_partners_without_a_deployment_are_reminded_a_week_after_release(
    plan: ReleasePlan,
    coordinator: Any,
    partner_org: Organisation,
    partner: Any,
) -> None:
    services.add_participant(
        plan.case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    deployed_org = make_organisation(Organisation.Kind.DOWNSTREAM)
    deployed_user = make_user(organisation=deployed_org)
    services.add_participant(
        plan.case,
        coordinator,
        organisation=deployed_org,
        role=ParticipantRole.DOWNSTREAM,
        notify=False,
    )
    released = T0 + 10 * DAY
    ReleasePlan.objects.filter(pk=plan.pk).update(released_at=released)
    DeploymentReport.objects.create(
        case=plan.case, organisation=deployed_org, status=DeploymentStatus.DEPLOYED
    )

    sweep_at(released + 7 * DAY - dt.timedelta(seconds=1))
    assert "reminder.deployment" not in kinds_for(partner)

    sweep_at(released + 7 * DAY)
    sweep_at(released + 8 * DAY)

    assert kinds_for(partner).count("reminder.deployment") == 1
    assert "reminder.deployment" not in kinds_for(deployed_user)
    (laggards,) = rows_for(coordinator, "escalation.deployment", Channel.IN_APP)
    assert laggards.data["laggard_organisation_ids"] == [partner_org.pk]


# --------------------------------------------------------------------------- advisory review


def test_an_advisory_in_review_for_two_days_reminds_a_reviewer_other_than_its_author(
    case_at_t0: Case, coordinator: Any, second_coordinator: Any, maintainer: Any
) -> None:
    submitted = T0 + 5 * DAY
    Advisory.objects.create(
        case=case_at_t0,
        identifier="AKRITES-2026-9001",
        title="t",
        summary="s",
        author=coordinator,
        state=AdvisoryState.IN_REVIEW,
        submitted_at=submitted,
    )
    with time_machine.travel(T0 + HOUR, tick=False):
        services.acknowledge(case_at_t0, maintainer)

    sweep_at(submitted + 2 * DAY - dt.timedelta(seconds=1))
    assert kinds_for(second_coordinator) == []

    sweep_at(submitted + 2 * DAY)
    sweep_at(submitted + 3 * DAY)

    assert kinds_for(second_coordinator) == ["reminder.advisory_review"]
    assert "reminder.advisory_review" not in kinds_for(coordinator)
    # The maintainer's organisation is reminded of its vendor status (a week without
    # one), never of the advisory review.
    assert "reminder.advisory_review" not in kinds_for(maintainer)


# --------------------------------------------------------------------------- cost


def _embargoed_cases(n: int, coordinator: Any, public_at: dt.datetime) -> None:
    for _ in range(n):
        case = make_case(coordinator)
        Embargo.objects.create(case=case, state=EmbargoState.ACTIVE, public_at=public_at)


def _sweep_queries(moment: dt.datetime) -> int:
    with CaptureQueriesContext(connection) as ctx, time_machine.travel(moment, tick=False):
        sweep.sweep()
    return len(ctx.captured_queries)


def test_the_sweep_costs_the_same_queries_for_two_or_twelve_due_deadlines(
    coordinator: Any, settings: Any
) -> None:
    settings.NOTIFY_KICK_SENDER = False  # queueing a sender task is throttled per process
    _embargoed_cases(2, coordinator, T0 + 7 * DAY)
    _embargoed_cases(12, coordinator, T0 + 47 * DAY)
    _embargoed_cases(20, coordinator, T0 + 200 * DAY)  # far away: never looked at

    few = _sweep_queries(T0 + HOUR)
    many = _sweep_queries(T0 + 40 * DAY + HOUR)

    assert (
        Notification.objects.filter(key="reminder.embargo.168h")
        .values("subject")
        .distinct()
        .count()
        == 14
    )
    assert many == few


def test_a_sweep_with_nothing_due_writes_nothing(coordinator: Any) -> None:
    _embargoed_cases(3, coordinator, T0 + 200 * DAY)

    assert sweep_at(T0) == 0
    assert not Notification.objects.filter(key__startswith="reminder").exists()
