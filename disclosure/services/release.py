"""The release plan: project releases and their dates, pre-notifications of
deployers. Timeline codes ``case.release.*``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import audit, events
from cases import services as case_services
from cases.access import require_on
from cases.models import (
    Case,
    Organisation,
    StaleEdit,
    TransitionError,
)
from cases.models.vulnerabilities import fixed_versions_of
from cases.types import User
from disclosure.access import (
    can_acknowledge_pre_notification,
    can_propose_release_target,
    can_update_project_release,
    deployer_organisations,
)
from disclosure.models import (
    Advisory,
    PreNotification,
    ProjectRelease,
    PublicationOverride,
    ReleasePlan,
    ReleaseStatus,
)
from disclosure.models.gate import override_in_force, release_gate_blockers
from disclosure.models.release import PRE_NOTIFICATION_WORKING_DAYS, working_days_before
from disclosure.services.common import _iso

# --------------------------------------------------------------------------- release


def get_or_create_plan(case: Case) -> ReleasePlan:
    plan, _ = ReleasePlan.objects.get_or_create(case=case)
    return plan


def _sync_project_releases(plan: ReleasePlan) -> None:
    existing = set(plan.project_releases.values_list("project_id", flat=True))
    ProjectRelease.objects.bulk_create(
        [
            ProjectRelease(plan=plan, project=project)
            for project in plan.case.projects.all()
            if project.pk not in existing
        ]
    )


def save_release_plan(
    case: Case, actor: User, *, target_at: dt.datetime | None, expected_version: int | None
) -> ReleasePlan:
    """Set the target release time (coordinators). Defaulted pre-notification dates follow.
    A maintainer's pending proposal (``propose_release_target``) is decided by it."""
    require_on(actor, case, "manage_case")
    with transaction.atomic():
        plan = get_or_create_plan(case)
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        if expected_version is not None and plan.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        if plan.released_at is not None:
            raise TransitionError("The release has already happened.")
        old = plan.target_at
        proposed = plan.proposed_target_at
        plan.target_at = target_at
        plan.proposed_target_at, plan.proposed_by, plan.proposed_at = None, None, None
        plan.version += 1
        plan.updated_at = timezone.now()
        plan.save(
            update_fields=[
                "target_at",
                "proposed_target_at",
                "proposed_by",
                "proposed_at",
                "version",
                "updated_at",
            ]
        )
        _sync_project_releases(plan)
        for pn in plan.pre_notifications.select_for_update().filter(
            notify_at_is_default=True, sent_at__isnull=True
        ):
            pn.notify_at = _default_notify_at(target_at)
            pn.save(update_fields=["notify_at"])
        data = {"from": _iso(old), "target_at": _iso(target_at)}
        if proposed is not None:
            data["proposal"] = "accepted" if proposed == target_at else "superseded"
        case.log(actor, "case.release.planned", data)
        events.emit("release.planned", case_id=case.pk, release_id=plan.pk)
        case.touch()
    return plan


def propose_release_target(
    case: Case, actor: User, *, target_at: dt.datetime | None, expected_version: int | None
) -> ReleasePlan:
    """A maintainer starts the release plan (every project of the case gets its row, so
    they can record their fix) and may propose a target release time, which a
    coordinator then sets (``save_release_plan``). Coordinators set it directly instead.
    """
    case_access = require_on(actor, case, "view_case")
    if not can_propose_release_target(case_access):
        raise PermissionDenied("Only the maintainers of a project in this case can do this.")
    if target_at is not None and target_at <= timezone.now():
        raise ValidationError({"target_at": "Propose a time in the future."})
    with transaction.atomic():
        plan = get_or_create_plan(case)
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        if expected_version is not None and plan.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        if plan.released_at is not None:
            raise TransitionError("The release has already happened.")
        _sync_project_releases(plan)
        if target_at is not None:
            plan.proposed_target_at, plan.proposed_by = target_at, actor
            plan.proposed_at = timezone.now()
        plan.version += 1
        plan.updated_at = timezone.now()
        plan.save()
        case.log(
            actor,
            "case.release.target_proposed",
            {"target_at": _iso(target_at), "current": _iso(plan.target_at)},
        )
        case.touch()
    return plan


def _default_notify_at(target_at: dt.datetime | None) -> dt.datetime | None:
    if target_at is None:
        return None
    return working_days_before(target_at, PRE_NOTIFICATION_WORKING_DAYS)


def update_project_release(
    project_release: ProjectRelease,
    actor: User,
    *,
    fixed_versions: Sequence[str] | None = None,
    fix_url: str,
    status: str,
    expected_version: int | None,
) -> ProjectRelease:
    """A maintainer records their project's fix and release (coordinators: any project).

    Status moves planned -> ready -> released (ready may go back to planned);
    released is final and needs a fixed version. ``fixed_versions`` (``None``: unchanged)
    are written where they live, on the project's affected packages of the case
    (``cases.services.record_project_fixed_versions``), in this transaction.
    """
    plan = project_release.plan
    case = plan.case
    if not can_update_project_release(require_on(actor, case, "view_case"), project_release):
        raise PermissionDenied("You can only update your own project's release.")
    if status not in ReleaseStatus.values:
        raise ValidationError({"status": "Choose planned, ready or released."})
    fix_url = fix_url.strip()
    with transaction.atomic():
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        pr = ProjectRelease.objects.select_for_update().get(pk=project_release.pk, plan=plan)
        if expected_version is not None and pr.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        if pr.status == ReleaseStatus.RELEASED and status != ReleaseStatus.RELEASED:
            raise TransitionError("This project has already released its fix.")
        if fixed_versions is not None:
            case_services.record_project_fixed_versions(case, pr.project, actor, fixed_versions)
        fixed = fixed_versions_of(case.pk, pr.project)
        if status == ReleaseStatus.RELEASED and not fixed:
            raise ValidationError({"fixed_versions": "Record the fixed version before releasing."})
        now = timezone.now()
        old_status = pr.status
        pr.fix_url, pr.status = fix_url, status
        if status in (ReleaseStatus.READY, ReleaseStatus.RELEASED) and pr.ready_at is None:
            pr.ready_at = now
        if status == ReleaseStatus.PLANNED:
            pr.ready_at = None
        if status == ReleaseStatus.RELEASED and pr.released_at is None:
            pr.released_at = now
        pr.updated_at, pr.updated_by = now, actor
        pr.version += 1
        pr.save()
        case.log(
            actor,
            "case.release.project_updated",
            {
                "project": pr.project.name,
                "from": old_status,
                "to": status,
                "fixed_versions": fixed,
                "fix_url": fix_url,
            },
        )
        _refresh_plan_milestones(plan, actor, now)
        case.touch()
    return pr


def _refresh_plan_milestones(plan: ReleasePlan, actor: User, now: dt.datetime) -> None:
    """Fixed when every project is ready; released when every project has released."""
    releases = list(plan.project_releases.all())
    ready = [r.ready_at for r in releases if r.ready_at is not None]
    released = [r.released_at for r in releases if r.released_at is not None]
    fixed_at = max(ready) if releases and len(ready) == len(releases) else None
    released_at = max(released) if releases and len(released) == len(releases) else None
    fields = []
    if fixed_at != plan.fixed_at:
        plan.fixed_at = fixed_at
        fields.append("fixed_at")
    if released_at != plan.released_at:
        plan.released_at = released_at
        fields.append("released_at")
        if released_at is not None:
            plan.case.log(actor, "case.release.released", {"released_at": _iso(released_at)})
            events.emit("release.released", case_id=plan.case_id, release_id=plan.pk)
    if fields:
        plan.updated_at = now
        plan.save(update_fields=[*fields, "updated_at"])


def add_pre_notification(
    case: Case,
    actor: User,
    *,
    organisation: Organisation,
    notify_at: dt.datetime | None = None,
) -> PreNotification:
    """List a partner or downstream organisation for pre-notification (coordinators)."""
    require_on(actor, case, "manage_case")
    if not deployer_organisations(case).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": "Only partner or downstream participants can be pre-notified."}
        )
    with transaction.atomic():
        plan = get_or_create_plan(case)
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.pre_notifications.filter(organisation=organisation).exists():
            raise ValidationError({"organisation": "This organisation is already listed."})
        is_default = notify_at is None
        pn = PreNotification.objects.create(
            plan=plan,
            organisation=organisation,
            notify_at=_default_notify_at(plan.target_at) if is_default else notify_at,
            notify_at_is_default=is_default,
        )
        case.log(
            actor,
            "case.release.prenotification_added",
            {"organisation": organisation.name, "notify_at": _iso(pn.notify_at)},
        )
        case.touch()
    return pn


def mark_pre_notification_sent(pn: PreNotification, actor: User) -> PreNotification:
    """A coordinator records that the organisation was pre-notified."""
    require_on(actor, pn.plan.case, "manage_case")
    pn, changed = _record_pre_notification_sent(pn.pk, actor, notify=True)
    if not changed:
        raise TransitionError("This organisation was already pre-notified.")
    return pn


def record_pre_notification_sent(pre_notification_id: int) -> bool:
    """The system (the notification sweep) records a sent pre-notification; idempotent.

    Returns True only for the call that recorded it.
    """
    return _record_pre_notification_sent(pre_notification_id, None, notify=False)[1]


def _record_pre_notification_sent(
    pk: int, actor: User | None, *, notify: bool
) -> tuple[PreNotification, bool]:
    with transaction.atomic():
        pn = PreNotification.objects.select_for_update().select_related("plan__case").get(pk=pk)
        case = pn.plan.case
        if pn.sent_at is not None:
            return pn, False
        pn.sent_at, pn.sent_by = timezone.now(), actor
        pn.save(update_fields=["sent_at", "sent_by"])
        case.log(
            actor,
            "case.release.prenotification_sent",
            {"organisation": pn.organisation.name, "prenotification": pn.pk},
        )
        if notify:  # the sweep has told the organisation itself
            events.emit("prenotification.sent", case_id=case.pk, organisation_id=pn.organisation_id)
        case.touch()
    return pn, True


def acknowledge_pre_notification(pn: PreNotification, user: User) -> PreNotification:
    """A member of the pre-notified organisation confirms they received it."""
    case = pn.plan.case
    if not can_acknowledge_pre_notification(require_on(user, case, "view_case"), pn):
        raise PermissionDenied("Only the pre-notified organisation can acknowledge.")
    with transaction.atomic():
        pn = PreNotification.objects.select_for_update().get(pk=pn.pk)
        if pn.sent_at is None:
            raise TransitionError("This pre-notification has not been sent yet.")
        if pn.acknowledged_at is not None:
            raise TransitionError("This pre-notification is already acknowledged.")
        pn.acknowledged_at, pn.acknowledged_by = timezone.now(), user
        pn.save(update_fields=["acknowledged_at", "acknowledged_by"])
        case.log(
            user,
            "case.release.prenotification_acknowledged",
            {"organisation": pn.organisation.name, "prenotification": pn.pk},
        )
        case.touch()
    return pn


# --------------------------------------------------------------------------- release gate


@dataclass(frozen=True)
class PublicationGate:
    """What the go/no-go panel and the API say about publishing the case's advisory."""

    blockers: list[str]
    override: PublicationOverride | None

    @property
    def is_released(self) -> bool:
        """Every affected project has released its fix."""
        return not self.blockers

    @property
    def allows_publication(self) -> bool:
        return not self.blockers or self.override is not None


def publication_blockers(case: Case, plan: ReleasePlan | None = None) -> list[str]:
    """Why the case's advisory may not be published yet (empty: every fix is released).

    The facts the publication itself checks (``Advisory.publish``); an override in
    force lets publication through without making these go away.
    """
    return release_gate_blockers(case, plan)


def publication_gate(case: Case, plan: ReleasePlan | None = None) -> PublicationGate:
    return PublicationGate(publication_blockers(case, plan), override_in_force(case))


def override_publication_gate(case: Case, actor: User, *, reason: str) -> PublicationOverride:
    """A coordinator allows publication before every fix is released, with a reason.

    Recorded (``PublicationOverride``), on the timeline and in the audit log, and
    notified to every participant (``release.gate_overridden``).
    """
    require_on(actor, case, "manage_case")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the advisory may go public before the fix."})
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2000 characters."})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if override_in_force(case) is not None:
            raise TransitionError("The release gate is already overridden.")
        if Advisory.objects.filter(case=case, published_at__isnull=False).exists():
            raise TransitionError("The advisory is already published.")
        blockers = release_gate_blockers(case)
        if not blockers:
            raise TransitionError("Every fix is released: there is nothing to override.")
        override = PublicationOverride.objects.create(
            case=case, reason=reason, blockers=blockers, decided_by=actor
        )
        case.log(
            actor,
            "case.release.gate_overridden",
            {"override": override.pk, "blockers": blockers, "reason": reason},
        )
        audit.record("release.gate_overridden", actor=actor, obj=case, override=override.pk)
        events.emit("release.gate_overridden", case_id=case.pk)
        case.touch()
    return override


def revoke_publication_override(case: Case, actor: User) -> PublicationOverride:
    """Take the override back (coordinators): the release gate holds again."""
    require_on(actor, case, "manage_case")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        override = override_in_force(case, lock=True)
        if override is None:
            raise TransitionError("No override of the release gate is in force.")
        if Advisory.objects.filter(case=case, published_at__isnull=False).exists():
            raise TransitionError(
                "The advisory is already published; the override stays on the record."
            )
        override.revoked_at, override.revoked_by = timezone.now(), actor
        override.save(update_fields=["revoked_at", "revoked_by"])
        case.log(actor, "case.release.gate_override_revoked", {"override": override.pk})
        audit.record("release.gate_override_revoked", actor=actor, obj=case, override=override.pk)
        case.touch()
    return override
