"""Deployment reports of pre-notified organisations and the overview of who has
deployed. Timeline codes ``case.deployment.*``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import events
from cases.access import require_on
from cases.models import (
    Case,
    Organisation,
)
from cases.types import User
from disclosure.access import can_report_deployment, deployer_organisations
from disclosure.models import (
    DeploymentReport,
    DeploymentStatus,
    ReleasePlan,
)
from disclosure.models.gate import release_gate_blockers


def report_deployment(
    case: Case,
    user: User,
    *,
    organisation: Organisation,
    status: str,
    note: str = "",
) -> DeploymentReport:
    """A partner or downstream organisation reports its deployment state.

    "Deployed" is refused (``ValidationError`` on ``status``) until the fix is
    released: every affected project released in the release plan.

    Members report for their own organisation; coordinators may record it for any
    deployer organisation of the case (e.g. after a phone call). Each report is a
    timeline entry, so the row holds the current state and the timeline the history.
    """
    case_access = require_on(user, case, "report_deployment")
    if status not in DeploymentStatus.values:
        raise ValidationError({"status": "Choose a deployment state."})
    if not deployer_organisations(case).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": "Only partner or downstream participants report deployment."}
        )
    if not can_report_deployment(case_access, organisation):
        raise PermissionDenied("You can only report for your own organisation.")
    if status == DeploymentStatus.DEPLOYED:
        # Nobody deploys a fix that is not out: "deployed" waits for the release
        # (every affected project released); "in progress" is fine before it.
        not_released = release_gate_blockers(case)
        if not_released:
            raise ValidationError(
                {
                    "status": 'You can report "deployed" once the fix is released; until '
                    'then report "in progress". ' + " ".join(not_released)
                }
            )
    with transaction.atomic():
        now = timezone.now()
        DeploymentReport.objects.get_or_create(
            case=case, organisation=organisation, defaults={"reported_at": now}
        )
        report = DeploymentReport.objects.select_for_update().get(
            case=case, organisation=organisation
        )
        old = report.status if report.reported_by_id else None
        report.status, report.note = status, note.strip()[:500]
        report.reported_at, report.reported_by = now, user
        if status == DeploymentStatus.DEPLOYED and report.deployed_at is None:
            report.deployed_at = now
        report.save()
        case.log(
            user,
            "case.deployment.reported",
            {"organisation": organisation.name, "from": old, "to": status, "note": report.note},
        )
        events.emit("deployment.reported", case_id=case.pk, organisation_id=organisation.pk)
        case.touch()
    return report


@dataclass(frozen=True)
class DeploymentRow:
    organisation: Organisation
    status: str
    status_label: str
    reported_at: dt.datetime | None
    deployed_at: dt.datetime | None
    time_to_deploy: dt.timedelta | None

    @property
    def is_done(self) -> bool:
        return self.status in (DeploymentStatus.DEPLOYED, DeploymentStatus.NOT_AFFECTED)


def deployment_overview(case: Case, plan: ReleasePlan | None = None) -> list[DeploymentRow]:
    """Every deployer organisation of the case with its state (two queries)."""
    orgs = list(deployer_organisations(case).order_by("name"))
    reports = {r.organisation_id: r for r in DeploymentReport.objects.filter(case=case)}
    released_at = plan.released_at if plan is not None else None
    rows = []
    for org in orgs:
        r = reports.get(org.pk)
        status = r.status if r else DeploymentStatus.NOT_STARTED
        deployed_at = r.deployed_at if r else None
        rows.append(
            DeploymentRow(
                organisation=org,
                status=status,
                status_label=DeploymentStatus(status).label,
                reported_at=r.reported_at if r and r.reported_by_id else None,
                deployed_at=deployed_at,
                time_to_deploy=(deployed_at - released_at) if deployed_at and released_at else None,
            )
        )
    return rows
