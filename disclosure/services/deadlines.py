"""Deadline rows (read-only) the notification sweep and the dashboards use:
embargo dates, release targets, pre-notifications, deployment laggards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import (
    Case,
    Participant,
)
from disclosure.access import DEPLOYER_ROLES
from disclosure.models import (
    DeploymentReport,
    DeploymentStatus,
    Embargo,
    EmbargoState,
    PreNotification,
    ReleasePlan,
)

# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadline:
    """One dated thing on a case, for dashboards, reminders and the calendar."""

    case_id: int
    reference: str
    kind: str  # embargo.public | release.target | prenotification.due
    at: dt.datetime
    organisation_id: int | None = None
    object_id: int | None = None


def upcoming_embargo_deadlines(
    cases: QuerySet[Case], *, until: dt.datetime | None = None
) -> list[Deadline]:
    """Public dates of active embargoes of ``cases`` (pass an access-filtered queryset)."""
    qs = Embargo.objects.filter(
        case__in=cases, state=EmbargoState.ACTIVE, public_at__isnull=False
    ).values_list("case_id", "case__reference", "public_at", "pk")
    if until is not None:
        qs = qs.filter(public_at__lte=until)
    return [Deadline(c, ref, "embargo.public", at, object_id=pk) for c, ref, at, pk in qs]


def upcoming_release_targets(
    cases: QuerySet[Case], *, until: dt.datetime | None = None
) -> list[Deadline]:
    """Target release times of plans not yet released."""
    qs = ReleasePlan.objects.filter(
        case__in=cases, target_at__isnull=False, released_at__isnull=True
    ).values_list("case_id", "case__reference", "target_at", "pk")
    if until is not None:
        qs = qs.filter(target_at__lte=until)
    # ``at is not None``: the filter above already says so; the check tells the types.
    return [
        Deadline(c, ref, "release.target", at, object_id=pk)
        for c, ref, at, pk in qs
        if at is not None
    ]


def upcoming_pre_notifications(
    cases: QuerySet[Case], *, until: dt.datetime | None = None
) -> list[Deadline]:
    """Pre-notification dates not yet sent, of plans not yet released."""
    qs = PreNotification.objects.filter(
        plan__case__in=cases,
        notify_at__isnull=False,
        sent_at__isnull=True,
        plan__released_at__isnull=True,
    ).values_list("plan__case_id", "plan__case__reference", "notify_at", "organisation_id", "pk")
    if until is not None:
        qs = qs.filter(notify_at__lte=until)
    return [
        Deadline(c, ref, "prenotification.due", at, organisation_id=org, object_id=pk)
        for c, ref, at, org, pk in qs
        if at is not None  # as filtered above
    ]


def deployment_laggards(
    cases: QuerySet[Case] | None = None,
    *,
    now: dt.datetime | None = None,
    after: dt.timedelta = dt.timedelta(days=7),
) -> list[Deadline]:
    """(case, organisation) pairs released at least ``after`` ago and not yet deployed.

    A deployer organisation counts as done when it reported deployed or not affected.
    ``at`` is the moment the reminder became due (release + ``after``). Two queries.
    """
    now = now or timezone.now()
    plans = ReleasePlan.objects.filter(released_at__lte=now - after)
    if cases is not None:
        plans = plans.filter(case__in=cases)
    plan_rows = {
        case_id: (ref, released_at)
        for case_id, ref, released_at in plans.values_list(
            "case_id", "case__reference", "released_at"
        )
        if released_at is not None  # as filtered above
    }
    if not plan_rows:
        return []
    done = set(
        DeploymentReport.objects.filter(
            case_id__in=plan_rows,
            status__in=[DeploymentStatus.DEPLOYED, DeploymentStatus.NOT_AFFECTED],
        ).values_list("case_id", "organisation_id")
    )
    pairs = (
        Participant.objects.active()
        .filter(case_id__in=plan_rows, role__in=DEPLOYER_ROLES, organisation__isnull=False)
        .values_list("case_id", "organisation_id")
        .distinct()
    )
    return sorted(
        (
            Deadline(
                case_id,
                plan_rows[case_id][0],
                "deployment.missing",
                plan_rows[case_id][1] + after,
                organisation_id=org_id,
            )
            for case_id, org_id in set(pairs)
            if (case_id, org_id) not in done
        ),
        key=lambda d: (d.at, d.case_id, d.organisation_id or 0),
    )
