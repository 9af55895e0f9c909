"""Coordinated patch releases: release plans, pre-notification, deployment tracking.

State changes live in ``disclosure.services``; these are the rows and the facts
about one row (go/no-go, working-day arithmetic).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import Case, Organisation, Project
from cases.models.vulnerabilities import fixed_versions_by_project

PRE_NOTIFICATION_WORKING_DAYS = 5


def working_days_before(moment: dt.datetime, days: int) -> dt.datetime:
    """``moment`` moved back by ``days`` working days (Monday to Friday), same time of day."""
    result = moment
    remaining = days
    while remaining > 0:
        result -= dt.timedelta(days=1)
        if result.weekday() < 5:
            remaining -= 1
    return result


class ReleaseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    READY = "ready", "Ready"
    RELEASED = "released", "Released"


class DeploymentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DEPLOYED = "deployed", "Deployed"
    NOT_AFFECTED = "not_affected", "Not affected"


class ReleasePlan(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="release_plan")
    target_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A maintainer's proposed target, until a coordinator sets the target
    # (``services.propose_release_target``; ``save_release_plan`` clears it).
    proposed_target_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    # Derived by the services when every project is ready / released (for metrics).
    fixed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Release plan of {self.case_id}"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    def fixed_versions(self) -> dict[int, list[str]]:
        """Project id -> its fixed versions in this case, read from the case's affected
        packages (``cases.models.vulnerabilities.fixed_versions_by_project``, the one
        source), once per plan object (one query, over the prefetched project releases)."""
        cached = getattr(self, "_fixed_versions", None)
        if cached is None:
            projects = [r.project for r in self.project_releases.all()]
            cached = fixed_versions_by_project(self.case_id, projects)
            self._fixed_versions = cached
        return cached

    def blockers(self, now: dt.datetime | None = None) -> list[str]:
        """What stands between this plan and a "go": empty means ready to release.

        Uses the prefetched project releases and pre-notifications (no extra queries
        when they are prefetched).
        """
        now = now or timezone.now()
        if self.released_at is not None:
            return []
        items: list[str] = []
        if self.target_at is None:
            items.append(
                "No target release time is set (a maintainer proposed one: a coordinator sets it)."
                if self.proposed_target_at is not None
                else "No target release time is set."
            )
        elif self.proposed_target_at is not None:
            items.append("A maintainer proposed another target release time.")
        releases = list(self.project_releases.all())
        if not releases:
            items.append("No project is part of the release.")
        fixed = self.fixed_versions() if releases else {}
        for r in releases:
            if r.status == ReleaseStatus.PLANNED:
                items.append(f"{r.project.name}: the fix is not ready yet.")
            if not fixed.get(r.project_id):
                items.append(f"{r.project.name}: no fixed version recorded.")
            if not r.fix_url:
                items.append(f"{r.project.name}: no fix commit or pull request recorded.")
        for pn in self.pre_notifications.all():
            if pn.sent_at is None:
                items.append(f"{pn.organisation.name}: not pre-notified yet.")
            elif pn.acknowledged_at is None:
                items.append(f"{pn.organisation.name}: pre-notification not acknowledged.")
        return items


class ProjectRelease(models.Model):
    """One affected project's part of the release."""

    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="project_releases")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="releases")
    # No "fixed version" here: it is the fixed versions of the project's affected
    # packages on the case (``fixed_versions``), entered once (disclosure/README.md,
    # "Release data: entered once").
    fix_url = models.URLField("fix commit or pull request URL", max_length=500, blank=True)
    status = models.CharField(
        max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED
    )
    ready_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "project"], name="unique_project_release")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} ({self.status})"

    @property
    def fixed_versions(self) -> list[str]:
        """The versions that fix this project in the case (read through the plan, so a
        plan's releases share one query)."""
        return self.plan.fixed_versions().get(self.project_id, [])


class PreNotification(models.Model):
    """A downstream or partner organisation told about the fix before the release."""

    plan = models.ForeignKey(
        ReleasePlan, on_delete=models.CASCADE, related_name="pre_notifications"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    notify_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # True while notify_at follows the release target (5 working days before it).
    notify_at_is_default = models.BooleanField(default=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notify_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "organisation"], name="unique_pre_notification")
        ]

    def __str__(self) -> str:
        return f"Pre-notification of {self.organisation_id} for {self.plan_id}"


class DeploymentReport(models.Model):
    """The current deployment state of one organisation; its history is on the timeline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deployment_reports")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=DeploymentStatus.choices, default=DeploymentStatus.NOT_STARTED
    )
    note = models.CharField(max_length=500, blank=True)
    reported_at = models.DateTimeField(default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # First time the organisation reported "deployed" (time to deploy is measured to it).
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="unique_deployment")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} on {self.case_id}: {self.status}"
