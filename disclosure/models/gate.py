"""The release gate: nothing goes public before the fix is out, unless a person decides so.

An advisory may be published (by hand or by the scheduler) only while every affected
project of the case has *released* its fix in the release plan, or while a
coordinator's override with a reason is in force. The facts live here, beside the
models, because ``Advisory.publish`` asks them under its lock and models import no
services; the state changes (override, revoke) are ``disclosure.services.release``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models import Case
from disclosure.models.release import ProjectRelease, ReleasePlan, ReleaseStatus


class PublicationOverride(models.Model):
    """A coordinator's decision to allow publication before every fix is released.

    At most one is in force per case (``revoked_at`` empty); revoked ones are kept
    for the record. ``blockers`` is what stood in the way when it was decided.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="publication_overrides")
    reason = models.TextField()
    blockers = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(revoked_at__isnull=True),
                name="one_publication_override_in_force",
            )
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "in force"
        return f"Publication override on {self.case_id} ({state})"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


def release_gate_blockers(case: Case, plan: ReleasePlan | None = None) -> list[str]:
    """Why the case's advisory may not go public yet, in plain words; empty: the fix is out.

    Every affected project of the case must have *released* its fix in the release
    plan; "ready" is not enough. Pass a ``plan`` with ``project_releases`` (and their
    projects) prefetched to avoid queries; otherwise two queries.
    """
    if plan is None:
        plan = ReleasePlan.objects.filter(case_id=case.pk).first()
    if plan is None:
        return ["There is no release plan: no fix is recorded as released."]
    releases = {r.project_id: r for r in plan.project_releases.all()}
    projects = sorted(case.projects.all(), key=lambda p: p.name.lower())
    if not projects:
        return ["No affected project is recorded on the case."]
    items: list[str] = []
    for project in projects:
        release: ProjectRelease | None = releases.get(project.pk)
        if release is None:
            items.append(f"{project.name}: not part of the release plan.")
        elif release.status == ReleaseStatus.READY:
            items.append(f"{project.name}: the fix is ready but not released yet.")
        elif release.status != ReleaseStatus.RELEASED:
            items.append(f"{project.name}: the fix is not released yet.")
    return items


def override_in_force(case: Case, *, lock: bool = False) -> PublicationOverride | None:
    qs = PublicationOverride.objects.filter(case_id=case.pk, revoked_at__isnull=True)
    if lock:
        qs = qs.select_for_update()
    return qs.select_related("decided_by").first()


def publication_gate_refusal(case: Case, *, lock: bool = False) -> str | None:
    """``None`` when the case's advisory may be published now, else why not (one message).

    With ``lock`` the case row is locked, so an override or a revocation (which lock
    it too) waits for the publication's decision, or the publication for theirs.
    """
    if lock:
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    blockers = release_gate_blockers(case)
    if not blockers or override_in_force(case) is not None:
        return None
    return (
        "Publication is blocked until the fix is released: "
        + " ".join(blockers)
        + " A coordinator may override the release gate with a reason."
    )
