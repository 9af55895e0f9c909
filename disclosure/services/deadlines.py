"""Deadline rows (read-only) the notification sweep and the dashboards use:
embargo dates, release targets, pre-notifications, deployment laggards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from cases import access
from cases.access import ACKNOWLEDGING_ROLES, participant_rows_q
from cases.dashboard import Deadline as DashboardDeadline
from cases.models import (
    OPEN_STATES,
    Case,
    Participant,
)
from cases.models import ParticipantRole as Role
from cases.types import AnyUser
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


def unreported_deployers() -> QuerySet[Participant]:
    """Deployer organisations (first active participant row per case and organisation)
    that have not reported deployed or not affected: the one rule for the laggards and
    the dashboard's deployment lines."""
    deployers = Participant.objects.active().filter(
        role__in=DEPLOYER_ROLES, organisation__isnull=False
    )
    done = DeploymentReport.objects.filter(
        case_id=OuterRef("case_id"),
        organisation_id=OuterRef("organisation_id"),
        status__in=[DeploymentStatus.DEPLOYED, DeploymentStatus.NOT_AFFECTED],
    )
    # An organisation in two deployer roles counts once, by its first row.
    earlier = deployers.filter(
        case_id=OuterRef("case_id"),
        organisation_id=OuterRef("organisation_id"),
        pk__lt=OuterRef("pk"),
    )
    return deployers.exclude(Exists(done)).exclude(Exists(earlier))


def deployment_laggards(
    cases: QuerySet[Case] | None = None,
    *,
    now: dt.datetime | None = None,
    after: dt.timedelta = dt.timedelta(days=7),
) -> list[Deadline]:
    """(case, organisation) pairs released at least ``after`` ago and not yet deployed.

    A deployer organisation counts as done when it reported deployed or not affected.
    ``at`` is the moment the reminder became due (release + ``after``). One query.
    """
    now = now or timezone.now()
    rows = unreported_deployers().filter(case__release_plan__released_at__lte=now - after)
    if cases is not None:
        rows = rows.filter(case__in=cases)
    return sorted(
        (
            Deadline(
                case_id,
                reference,
                "deployment.missing",
                released_at + after,
                organisation_id=org_id,
            )
            for case_id, reference, org_id, released_at in rows.values_list(
                "case_id", "case__reference", "organisation_id", "case__release_plan__released_at"
            )
            if released_at is not None  # as filtered above
        ),
        key=lambda d: (d.at, d.case_id, d.organisation_id or 0),
    )


# --------------------------------------------------------------------------- deadline lines


def _ack_hours() -> int:
    # The acknowledgement escalation's delay (disclosure.notifications' setting, read
    # from settings: this layer does not import the notifications app).
    return int(getattr(settings, "NOTIFY_ACK_ESCALATION_HOURS", 48))


def _display(name: str | None, user: Any) -> str:
    if name:
        return name
    if user is not None:
        return user.get_full_name() or user.get_username()
    return "A participant"


def deadline_lines(
    user: AnyUser, cases: QuerySet[Case], until: dt.datetime, limit: int | None = None
) -> list[DashboardDeadline]:
    """The deadlines that are ``user``'s to act on, each naming the organisation it
    concerns ("Acme Security: acknowledge the case"), soonest first, overdue included.

    The one rule for the dashboard, the case page and the calendar: coordinators (the
    SIRT and a case's named coordinators) see every line of their cases; a maintainer
    sees the embargo end, the release target and their own acknowledgement; a partner
    (or downstream) sees their own acknowledgement, pre-notification acknowledgement
    and deployment report. ``cases`` must already be filtered by ``cases.access``.
    """
    if not user.is_authenticated:
        return []
    coordinated: Coordinated
    if access.is_sirt(user):
        # Every line of every case: no need to read the SIRT's own participant rows.
        coordinated, maintained, deployer_cases, my_orgs = EVERY_CASE, set(), set(), set()
    else:
        mine = list(
            Participant.objects.active()
            .filter(case__in=cases)
            .filter(participant_rows_q(user))
            .values_list("case_id", "role", "organisation_id")
        )
        my_orgs = {org for _, _, org in mine if org}
        coordinated = {c for c, role, _ in mine if role == Role.COORDINATOR}
        maintained = {c for c, role, _ in mine if role == Role.MAINTAINER}
        deployer_cases = {c for c, role, _ in mine if role in DEPLOYER_ROLES}
    lines: list[DashboardDeadline] = []
    lines += _acknowledgements(user, cases, coordinated, until, limit)
    lines += _release_lines(cases, coordinated, maintained, until, limit)
    lines += _pre_notification_lines(cases, coordinated, my_orgs, until, limit)
    if coordinated is EVERY_CASE or coordinated or deployer_cases:
        lines += _deployment_lines(cases, coordinated, my_orgs, until, limit)
    return sorted(lines, key=lambda d: (d.at, d.case.pk, d.label))[:limit]


# The cases whose every line a user sees: ``EVERY_CASE`` (the SIRT: each of ``cases``)
# or the ids of the cases they coordinate.
Coordinated = set[int] | None
EVERY_CASE: Coordinated = None


def _case_q(field: str, coordinated: Coordinated, extra: Q | None = None) -> Q:
    """Rows of the coordinated cases, or matching ``extra``. Every query here is also
    filtered by ``case__in=cases``: for the SIRT the condition is no condition."""
    if coordinated is EVERY_CASE:
        return Q()
    q = Q(**{f"{field}__in": coordinated}) if coordinated else Q(pk__in=[])
    return q | extra if extra is not None else q


def _acknowledgements(
    user: AnyUser,
    cases: QuerySet[Case],
    coordinated: Coordinated,
    until: dt.datetime,
    limit: int | None,
) -> list[DashboardDeadline]:
    delay = dt.timedelta(hours=_ack_hours())
    rows = (
        Participant.objects.active()
        .filter(
            case__in=cases,
            case__state__in=OPEN_STATES,
            role__in=ACKNOWLEDGING_ROLES,
            acknowledged_at__isnull=True,
            invited_at__lte=until - delay,
        )
        .filter(_case_q("case", coordinated, participant_rows_q(user)))
        .select_related("case", "organisation", "user")
        .order_by("invited_at")
    )
    return [
        DashboardDeadline(
            p.case,
            f"{_display(p.organisation.name if p.organisation else None, p.user)}: "
            "acknowledge the case",
            p.invited_at + delay,
            "acknowledgement",
        )
        for p in rows[:limit]
    ]


def _release_lines(
    cases: QuerySet[Case],
    coordinated: Coordinated,
    maintained: set[int],
    until: dt.datetime,
    limit: int | None,
) -> list[DashboardDeadline]:
    if coordinated is not EVERY_CASE and not coordinated and not maintained:
        return []
    scope = _case_q("case", coordinated, Q(case__in=maintained))
    embargoes = (
        Embargo.objects.filter(
            case__in=cases, state=EmbargoState.ACTIVE, public_at__isnull=False, public_at__lte=until
        )
        .filter(scope)
        .select_related("case")
        .order_by("public_at")
    )
    plans = list(
        ReleasePlan.objects.filter(
            case__in=cases, target_at__isnull=False, target_at__lte=until, released_at__isnull=True
        )
        .filter(scope)
        .select_related("case")
        .order_by("target_at")[:limit]
    )
    makers: dict[int, list[str]] = {}
    for case_id, name in (
        Participant.objects.active()
        .filter(
            case_id__in=[p.case_id for p in plans],
            role=Role.MAINTAINER,
            organisation__isnull=False,
        )
        .order_by("organisation__name")
        .values_list("case_id", "organisation__name")
    ):
        makers.setdefault(case_id, []).append(name)
    lines = [
        DashboardDeadline(e.case, "Every participant: the embargo ends", e.public_at, "embargo")
        for e in embargoes[:limit]
        if e.public_at is not None  # as filtered above
    ]
    lines += [
        DashboardDeadline(
            p.case,
            f"{', '.join(makers.get(p.case_id, [])) or 'The maintainers'}: release the fix",
            p.target_at,
            "release",
        )
        for p in plans
        if p.target_at is not None  # as filtered above
    ]
    return lines


def _pre_notification_lines(
    cases: QuerySet[Case],
    coordinated: Coordinated,
    my_orgs: set[int],
    until: dt.datetime,
    limit: int | None,
) -> list[DashboardDeadline]:
    base = PreNotification.objects.filter(
        plan__case__in=cases, plan__released_at__isnull=True
    ).select_related("plan__case", "organisation")
    due = base.filter(sent_at__isnull=True, notify_at__isnull=False, notify_at__lte=until)
    lines = [
        DashboardDeadline(
            pn.plan.case,
            f"{pn.organisation.name}: pre-notification goes out",
            pn.notify_at,
            "prenotification",
        )
        for pn in (
            due.filter(_case_q("plan__case", coordinated)).order_by("notify_at")
            if coordinated is EVERY_CASE or coordinated
            else due.none()
        )[:limit]
        if pn.notify_at is not None  # as filtered above
    ]
    delay = dt.timedelta(hours=_ack_hours())
    waiting = (
        base.filter(sent_at__isnull=False, acknowledged_at__isnull=True, sent_at__lte=until - delay)
        .filter(_case_q("plan__case", coordinated, Q(organisation_id__in=my_orgs)))
        .order_by("sent_at")
    )
    lines += [
        DashboardDeadline(
            pn.plan.case,
            f"{pn.organisation.name}: acknowledge the pre-notification",
            pn.sent_at + delay,
            "prenotification.acknowledge",
        )
        for pn in waiting[:limit]
        if pn.sent_at is not None  # as filtered above
    ]
    return lines


def _deployment_lines(
    cases: QuerySet[Case],
    coordinated: Coordinated,
    my_orgs: set[int],
    until: dt.datetime,
    limit: int | None,
    after: dt.timedelta = dt.timedelta(days=7),
) -> list[DashboardDeadline]:
    """Deployer organisations that have not reported (deployed or not affected) a week
    after the release, oldest release first, for ``DEPLOYMENT_FOLLOW_UP_DAYS`` after
    the release: one query over the plans of that window (the partial index on
    ``released_at``, disclosure/notifications/migrations/0004)."""
    oldest = timezone.now() - dt.timedelta(days=settings.DEPLOYMENT_FOLLOW_UP_DAYS)
    rows = (
        unreported_deployers()
        .filter(
            case__in=cases,
            case__release_plan__released_at__lte=until - after,
            case__release_plan__released_at__gt=oldest,
        )
        .filter(_case_q("case", coordinated, Q(organisation_id__in=my_orgs)))
        .select_related("case", "organisation")
        .annotate(released_at=F("case__release_plan__released_at"))
        .order_by("released_at", "case_id", "organisation__name")
    )
    return [
        DashboardDeadline(
            p.case,
            f"{p.organisation.name}: report the deployment",
            p.released_at + after,
            "deployment",
        )
        for p in rows[:limit]
        if p.organisation is not None  # deployers are organisations (filtered above)
    ]
