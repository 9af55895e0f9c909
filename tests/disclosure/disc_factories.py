"""Objects of the embargo and release features for the permission table and canary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from disclosure import services
from disclosure.models import (
    EmbargoClock,
    EmbargoPolicy,
    PreNotification,
    ProjectRelease,
    ReleasePlan,
)


def scenario_clock(s: Any) -> EmbargoClock:
    """A running standard clock on the scenario's case (started by its report)."""
    case = s.case
    existing = EmbargoClock.objects.filter(embargo__case=case).first()
    if existing is not None:
        return existing
    return services.start_clock(
        case,
        s.users["coordinator"],
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )


def _plan(s: Any) -> Any:
    # Query, not ``s.case.release_plan``: the case object may carry a cached plan.
    plan = ReleasePlan.objects.filter(case=s.case).first()
    if plan is None:
        plan = services.save_release_plan(
            s.case,
            s.users["coordinator"],
            target_at=timezone.now() + dt.timedelta(days=10),
            expected_version=None,
        )
    return plan


def scenario_project_release(s: Any) -> ProjectRelease:
    return ProjectRelease.objects.get(plan=_plan(s), project__name="libexample")


def scenario_pre_notification(s: Any) -> PreNotification:
    """The partner organisation (in the case) listed and pre-notified."""
    plan = _plan(s)
    pn = PreNotification.objects.filter(plan=plan).first()
    if pn is None:
        pn = services.add_pre_notification(
            s.case, s.users["coordinator"], organisation=s.participant.organisation
        )
        services.mark_pre_notification_sent(pn, s.users["coordinator"])
    return pn


def scenario_calendar_token(s: Any) -> str:
    return services.regenerate_calendar_token(s.users["maintainer"])


def release_fix(case: Any, coordinator: Any, *, status: str = "released") -> ReleasePlan:
    """Give ``case`` a release plan in which every affected project has ``status``
    (default: released), so the release gate lets its advisory go public.

    Written straight to the rows: a factory for a scenario, not a test of
    ``update_project_release`` (tests/disclosure/test_release.py has those).
    """
    from disclosure.models import ReleaseStatus

    plan = ReleasePlan.objects.filter(case=case).first()
    if plan is None:
        plan = services.save_release_plan(
            case,
            coordinator,
            target_at=timezone.now() + dt.timedelta(days=1),
            expected_version=None,
        )
    now = timezone.now()
    for project in case.projects.all():
        ProjectRelease.objects.get_or_create(plan=plan, project=project)
    released = status == ReleaseStatus.RELEASED
    ProjectRelease.objects.filter(plan=plan).update(
        status=status,
        ready_at=now if status != ReleaseStatus.PLANNED else None,
        released_at=now if released else None,
    )
    ReleasePlan.objects.filter(pk=plan.pk).update(
        fixed_at=now if status != ReleaseStatus.PLANNED else None,
        released_at=now if released else None,
    )
    plan.refresh_from_db()
    return plan
