"""Embargo and release workflows: every state change of the disclosure app that is
not the advisory's (that one lives in ``disclosure.publication``).

Each function is one transaction: lock the row, check the state and the actor's
rights (through ``cases.access``), change it, write the timeline entry with a
``case.embargo.*`` / ``case.release.*`` / ``case.deployment.*`` action code and
hand the event to the notification outbox. Views, commands and tasks call these.

Functions for the notification engineer (all read-only except ``lift_due_embargoes``):

- ``lift_due_embargoes(now=None) -> int``: the sweep, idempotent.
- ``upcoming_embargo_deadlines / upcoming_release_targets /
  upcoming_pre_notifications(cases_qs, until)``: deadline rows for reminders.
- ``deployment_laggards(now=None, after=...)``: who has not deployed yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases import access, audit
from cases.models import (
    Case,
    Organisation,
    Participant,
    ParticipantRole,
    StaleEdit,
    TransitionError,
)
from cases.services import models_q_for_user
from disclosure.models import (
    CalendarToken,
    ClockStart,
    DeploymentReport,
    DeploymentStatus,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    EmbargoState,
    PreNotification,
    ProjectRelease,
    ProposalResponse,
    ProposalState,
    ReleasePlan,
    ReleaseStatus,
)
from disclosure.models.release import PRE_NOTIFICATION_WORKING_DAYS, working_days_before

Role = ParticipantRole
# Roles whose organisations are pre-notified and report deployment.
DEPLOYER_ROLES = (Role.PARTNER, Role.DOWNSTREAM)
MAX_BREAK_GRACE_HOURS = 72
# Roles that agree or object to proposals. Not reporters: their answer would show up
# on the timeline of other reporters, who must never learn of each other.
RESPONDER_ROLES = (Role.MAINTAINER, Role.PARTNER, Role.DOWNSTREAM)


def _notify(name: str, **ids: Any) -> None:
    """Hand an event to the notification outbox, inside the caller's transaction."""
    try:
        from disclosure import notify
    except ImportError:  # notifications not installed
        return
    notify.event(name, **ids)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _require(user: Any, case: Case, action: str) -> access.CaseAccess:
    case_access = access.access_for(user, case)
    if not case_access.can_view:
        # The caller should have fetched through get_case_for; never reveal the case.
        raise PermissionDenied("You cannot do this on this case.")
    access.require(case_access, action)
    return case_access


# --------------------------------------------------------------------------- embargo


def get_or_create_embargo(case: Case) -> Embargo:
    embargo, _ = Embargo.objects.get_or_create(case=case)
    return embargo


def _lock_embargo(case: Case) -> Embargo:
    get_or_create_embargo(case)
    return Embargo.objects.select_for_update().get(case=case)


def _set_public_at(embargo: Embargo, actor: Any, cause: str) -> None:
    """Recompute the governing date; log and notify when it moves."""
    new = embargo.computed_public_at()
    old = embargo.public_at
    if new == old:
        return
    embargo.public_at = new
    embargo.updated_at = timezone.now()
    embargo.save(update_fields=["public_at", "updated_at"])
    embargo.case.log(
        actor,
        "case.embargo.date_changed",
        {"from": _iso(old), "to": _iso(new), "cause": cause},
    )
    audit.record(
        "embargo.changed",
        actor=actor,
        obj=embargo.case,
        **{"from": _iso(old), "to": _iso(new), "cause": cause},
    )
    _notify("embargo.changed", case_id=embargo.case_id)


def _default_start(case: Case, policy: EmbargoPolicy, now: dt.datetime) -> dt.datetime:
    """A report-started clock runs from the first report of the case; others from now."""
    if policy.clock_start == ClockStart.REPORT:
        first = case.reports.order_by("received_at").values_list("received_at", flat=True).first()
        return first or case.created_at
    return now


def start_clock(
    case: Case,
    actor: Any,
    *,
    policy: EmbargoPolicy,
    started_at: dt.datetime | None = None,
    started_by: str,
    deadline: dt.datetime | None = None,
) -> EmbargoClock:
    """Start a policy's clock on a case (coordinators). Activates the embargo.

    ``started_at`` defaults to the first report's arrival for report-started policies
    (standard), else to now. ``deadline`` is required for a policy without a default
    length (custom) and otherwise optional (to choose a date earlier than the default,
    never beyond the policy's maximum).
    """
    _require(actor, case, "manage_case")
    now = timezone.now()
    started_at = started_at or _default_start(case, policy, now)
    started_by = (started_by or "").strip()
    if not started_by:
        raise ValidationError({"started_by": "Say what started this clock."})
    if started_at > now:
        raise ValidationError({"started_at": "A clock cannot start in the future."})
    if not policy.is_active:
        raise ValidationError({"policy": "This policy is no longer in use."})
    latest = policy.latest_for(started_at)
    if deadline is None:
        if policy.needs_manual_deadline:
            raise ValidationError({"deadline": "This policy needs a deadline chosen by hand."})
        deadline = policy.deadline_for(started_at)
    elif latest is not None and deadline > latest:
        raise ValidationError({"deadline": f"{policy.name} allows at most {policy.max_days} days."})
    if deadline <= started_at:
        raise ValidationError({"deadline": "The deadline must come after the start."})
    with transaction.atomic():
        embargo = _lock_embargo(case)
        if embargo.state in (EmbargoState.LIFTED, EmbargoState.BROKEN):
            raise TransitionError(f"The embargo is already {embargo.get_state_display().lower()}.")
        clock = EmbargoClock.objects.create(
            embargo=embargo,
            policy=policy,
            started_at=started_at,
            started_by=started_by,
            deadline=deadline,
            latest=latest,
            created_by=actor,
        )
        case.log(
            actor,
            "case.embargo.clock_started",
            {
                "clock": clock.pk,
                "policy": policy.code,
                "started_at": _iso(started_at),
                "started_by": started_by,
                "deadline": _iso(deadline),
            },
        )
        if embargo.state == EmbargoState.NONE:
            embargo.state = EmbargoState.ACTIVE
            embargo.save(update_fields=["state"])
            case.log(actor, "case.embargo.activated", {"clock": clock.pk})
        if embargo.agreed_at is not None and deadline < embargo.agreed_at:
            # The earliest governs: a stricter clock supersedes the agreed date.
            case.log(
                actor,
                "case.embargo.agreement_superseded",
                {"agreed_at": _iso(embargo.agreed_at), "clock": clock.pk},
            )
            embargo.agreed_at = None
            embargo.save(update_fields=["agreed_at"])
        _set_public_at(embargo, actor, cause=f"clock:{policy.code}")
        case.touch()
    return clock


def stop_clock(clock: EmbargoClock, actor: Any, *, reason: str) -> EmbargoClock:
    """Stop a clock that no longer applies (coordinators); the others keep running."""
    case = clock.embargo.case
    _require(actor, case, "manage_case")
    if not reason.strip():
        raise ValidationError({"reason": "Say why this clock no longer applies."})
    with transaction.atomic():
        embargo = _lock_embargo(case)
        clock = EmbargoClock.objects.select_for_update().get(pk=clock.pk, embargo=embargo)
        if clock.stopped_at is not None:
            raise TransitionError("This clock is already stopped.")
        if not embargo.is_active:
            raise TransitionError("Clocks can only be stopped while the embargo is active.")
        clock.stopped_at = timezone.now()
        clock.save(update_fields=["stopped_at"])
        case.log(
            actor,
            "case.embargo.clock_stopped",
            {"clock": clock.pk, "policy": clock.policy.code, "reason": reason.strip()},
        )
        _set_public_at(embargo, actor, cause="clock_stopped")
        case.touch()
    return clock


def propose_date(case: Case, actor: Any, *, public_at: dt.datetime, reason: str) -> EmbargoProposal:
    """A maintainer or coordinator proposes a public date, with a reason."""
    _require(actor, case, "propose_embargo")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for the proposed date."})
    if public_at <= timezone.now():
        raise ValidationError({"public_at": "Propose a date in the future."})
    with transaction.atomic():
        embargo = _lock_embargo(case)
        if embargo.state in (EmbargoState.LIFTED, EmbargoState.BROKEN):
            raise TransitionError(f"The embargo is already {embargo.get_state_display().lower()}.")
        proposal = EmbargoProposal.objects.create(
            embargo=embargo, public_at=public_at, reason=reason.strip(), proposer=actor
        )
        case.log(
            actor,
            "case.embargo.proposed",
            {
                "proposal": proposal.pk,
                "public_at": _iso(public_at),
                "exceeds_limit": embargo.exceeds_limit(public_at),
            },
        )
        _notify("embargo.proposed", case_id=case.pk, proposal_id=proposal.pk)
        case.touch()
    return proposal


def own_participant(case_access: access.CaseAccess) -> Participant | None:
    """The participant row a user answers proposals for: their own, else their organisation's."""
    rows = list(
        case_access.case.participants.active()
        .filter(models_q_for_user(case_access.user))
        .filter(role__in=RESPONDER_ROLES)
        .select_related("organisation")
    )
    rows.sort(key=lambda p: (p.user_id is None, p.pk))
    return rows[0] if rows else None


def _ensure_open(proposal: EmbargoProposal) -> None:
    if not proposal.is_open:
        state = proposal.get_state_display().lower()
        raise TransitionError(f"This proposal is already {state}.")


def respond_to_proposal(
    proposal: EmbargoProposal, user: Any, *, stance: str, comment: str = ""
) -> ProposalResponse:
    """A participant agrees or objects (answering again replaces the earlier answer)."""
    case = proposal.embargo.case
    case_access = _require(user, case, "comment_case")
    if stance not in ProposalResponse.Stance.values:
        raise ValidationError({"stance": "Agree or object."})
    if stance == ProposalResponse.Stance.OBJECT and not comment.strip():
        raise ValidationError({"comment": "Say why you object."})
    participant = own_participant(case_access)
    if participant is None:
        raise PermissionDenied("Only participants of the case can agree or object.")
    with transaction.atomic():
        proposal = EmbargoProposal.objects.select_for_update().get(pk=proposal.pk)
        _ensure_open(proposal)
        now = timezone.now()
        response, created = ProposalResponse.objects.update_or_create(
            proposal=proposal,
            participant=participant,
            defaults={
                "user": user,
                "stance": stance,
                "comment": comment.strip(),
                "updated_at": now,
            },
        )
        case.log(
            user,
            f"case.embargo.proposal_{'agreed' if stance == 'agree' else 'objected'}",
            {"proposal": proposal.pk, "participant": participant.pk, "changed": not created},
        )
        case.touch()
    return response


def accept_proposal(
    proposal: EmbargoProposal,
    actor: Any,
    *,
    override: bool = False,
    override_reason: str = "",
    reason: str = "",
) -> EmbargoProposal:
    """A coordinator accepts a date: it becomes the agreed public date.

    Beyond a running clock's maximum it needs ``override`` and ``override_reason``.
    The other open proposals are rejected as superseded.
    """
    case = proposal.embargo.case
    _require(actor, case, "manage_case")
    with transaction.atomic():
        embargo = _lock_embargo(case)
        proposal = EmbargoProposal.objects.select_for_update().get(pk=proposal.pk, embargo=embargo)
        _ensure_open(proposal)
        if embargo.state in (EmbargoState.LIFTED, EmbargoState.BROKEN):
            raise TransitionError(f"The embargo is already {embargo.get_state_display().lower()}.")
        now = timezone.now()
        if proposal.public_at <= now:
            raise ValidationError({"public_at": "This date has passed; propose a new one."})
        limit = embargo.limit()
        exceeds = limit is not None and proposal.public_at > limit[0]
        if exceeds:
            if not override:
                raise ValidationError(
                    {
                        "override": f"The date is beyond the maximum of the "
                        f"{limit[1].policy.name} clock ({limit[0]:%Y-%m-%d %H:%M} UTC). "
                        "Tick override and give a reason to accept it anyway."
                    }
                )
            if not override_reason.strip():
                raise ValidationError({"override_reason": "Give a reason for the override."})
        proposal.state = ProposalState.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.decision_reason = reason.strip()
        proposal.override = exceeds
        proposal.override_reason = override_reason.strip() if exceeds else ""
        proposal.save()
        case.log(
            actor,
            "case.embargo.proposal_accepted",
            {
                "proposal": proposal.pk,
                "public_at": _iso(proposal.public_at),
                "override": exceeds,
                "override_reason": proposal.override_reason,
            },
        )
        for other in (
            embargo.proposals.select_for_update()
            .filter(state=ProposalState.PROPOSED)
            .exclude(pk=proposal.pk)
        ):
            other.state = ProposalState.REJECTED
            other.decided_at, other.decided_by = now, actor
            other.decision_reason = f"Superseded by proposal #{proposal.pk}."
            other.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
            case.log(
                actor,
                "case.embargo.proposal_rejected",
                {"proposal": other.pk, "superseded_by": proposal.pk},
            )
        embargo.agreed_at = proposal.public_at
        embargo.save(update_fields=["agreed_at"])
        if embargo.state == EmbargoState.NONE:
            embargo.state = EmbargoState.ACTIVE
            embargo.save(update_fields=["state"])
            case.log(actor, "case.embargo.activated", {"proposal": proposal.pk})
        _set_public_at(embargo, actor, cause=f"proposal:{proposal.pk}")
        case.touch()
    return proposal


def reject_proposal(proposal: EmbargoProposal, actor: Any, *, reason: str) -> EmbargoProposal:
    case = proposal.embargo.case
    _require(actor, case, "manage_case")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason; the proposer will see it."})
    with transaction.atomic():
        proposal = EmbargoProposal.objects.select_for_update().get(pk=proposal.pk)
        _ensure_open(proposal)
        proposal.state = ProposalState.REJECTED
        proposal.decided_at, proposal.decided_by = timezone.now(), actor
        proposal.decision_reason = reason.strip()
        proposal.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        case.log(
            actor, "case.embargo.proposal_rejected", {"proposal": proposal.pk, "reason": reason}
        )
        case.touch()
    return proposal


def withdraw_proposal(proposal: EmbargoProposal, actor: Any) -> EmbargoProposal:
    """The proposer (or a coordinator) takes an open proposal back."""
    case = proposal.embargo.case
    case_access = _require(actor, case, "propose_embargo")
    if proposal.proposer_id != actor.pk and not case_access.can("manage_case"):
        raise PermissionDenied("Only the proposer or a coordinator can withdraw a proposal.")
    with transaction.atomic():
        proposal = EmbargoProposal.objects.select_for_update().get(pk=proposal.pk)
        _ensure_open(proposal)
        proposal.state = ProposalState.WITHDRAWN
        proposal.decided_at, proposal.decided_by = timezone.now(), actor
        proposal.save(update_fields=["state", "decided_at", "decided_by"])
        case.log(actor, "case.embargo.proposal_withdrawn", {"proposal": proposal.pk})
        case.touch()
    return proposal


def break_embargo(
    case: Case, actor: Any, *, kind: str, reason: str, grace_hours: int = 0
) -> Embargo:
    """Record a broken embargo: public date now (or after a short grace), early disclosure.

    The advisory publication treats the case as lifted once the grace is over
    (``Embargo.has_lifted``); open proposals are rejected.
    """
    _require(actor, case, "manage_case")
    if kind not in Embargo.BreakKind.values:
        raise ValidationError({"kind": "Choose what broke the embargo."})
    if not reason.strip():
        raise ValidationError({"reason": "Record what happened."})
    if not 0 <= grace_hours <= MAX_BREAK_GRACE_HOURS:
        raise ValidationError(
            {"grace_hours": f"The grace is between 0 and {MAX_BREAK_GRACE_HOURS} hours."}
        )
    with transaction.atomic():
        embargo = _lock_embargo(case)
        if embargo.state != EmbargoState.ACTIVE:
            raise TransitionError(
                "Only an active embargo can break; this one is "
                f"{embargo.get_state_display().lower()}."
            )
        now = timezone.now()
        old = embargo.public_at
        embargo.state = EmbargoState.BROKEN
        embargo.broken_at = now
        embargo.broken_by = actor
        embargo.break_kind = kind
        embargo.break_reason = reason.strip()
        embargo.public_at = now + dt.timedelta(hours=grace_hours)
        embargo.updated_at = now
        embargo.save()
        for proposal in embargo.proposals.select_for_update().filter(state=ProposalState.PROPOSED):
            proposal.state = ProposalState.REJECTED
            proposal.decided_at, proposal.decided_by = now, actor
            proposal.decision_reason = "The embargo broke."
            proposal.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        case.log(
            actor,
            "case.embargo.broken",
            {
                "kind": kind,
                "reason": reason.strip(),
                "grace_hours": grace_hours,
                "from": _iso(old),
                "public_at": _iso(embargo.public_at),
            },
        )
        audit.record(
            "embargo.broken",
            actor=actor,
            obj=case,
            kind=kind,
            public_at=_iso(embargo.public_at),
        )
        _notify("embargo.broken", case_id=case.pk)
        case.touch()
    return embargo


def lift_embargo(embargo: Embargo, actor: Any = None, now: dt.datetime | None = None) -> bool:
    """Lift one embargo if its public date has passed. Idempotent: True only once."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Embargo.objects.select_for_update().filter(pk=embargo.pk).first()
        if locked is None or locked.state != EmbargoState.ACTIVE:
            return False
        if locked.public_at is None or locked.public_at > now:
            return False
        locked.state = EmbargoState.LIFTED
        locked.lifted_at = now
        locked.updated_at = now
        locked.save(update_fields=["state", "lifted_at", "updated_at"])
        locked.case.log(actor, "case.embargo.lifted", {"public_at": _iso(locked.public_at)})
        audit.record(
            "embargo.lifted", actor=actor, obj=locked.case, public_at=_iso(locked.public_at)
        )
        _notify("embargo.lifted", case_id=locked.case_id)
    embargo.refresh_from_db()
    return True


def lift_due_embargoes(now: dt.datetime | None = None) -> int:
    """Lift every active embargo whose public date has passed; returns how many.

    Safe to run twice or from two workers at once: each embargo is lifted once
    (row lock + state check in ``lift_embargo``).
    """
    now = now or timezone.now()
    lifted = 0
    for embargo in Embargo.objects.due(now).order_by("public_at", "pk"):
        if lift_embargo(embargo, now=now):
            lifted += 1
    return lifted


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
    case: Case, actor: Any, *, target_at: dt.datetime | None, expected_version: int | None
) -> ReleasePlan:
    """Set the target release time (coordinators). Defaulted pre-notification dates follow."""
    _require(actor, case, "manage_case")
    with transaction.atomic():
        plan = get_or_create_plan(case)
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        if expected_version is not None and plan.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        if plan.released_at is not None:
            raise TransitionError("The release has already happened.")
        old = plan.target_at
        plan.target_at = target_at
        plan.version += 1
        plan.updated_at = timezone.now()
        plan.save(update_fields=["target_at", "version", "updated_at"])
        _sync_project_releases(plan)
        for pn in plan.pre_notifications.select_for_update().filter(
            notify_at_is_default=True, sent_at__isnull=True
        ):
            pn.notify_at = _default_notify_at(target_at)
            pn.save(update_fields=["notify_at"])
        case.log(
            actor,
            "case.release.planned",
            {"from": _iso(old), "target_at": _iso(target_at)},
        )
        _notify("release.planned", case_id=case.pk, release_id=plan.pk)
        case.touch()
    return plan


def _default_notify_at(target_at: dt.datetime | None) -> dt.datetime | None:
    if target_at is None:
        return None
    return working_days_before(target_at, PRE_NOTIFICATION_WORKING_DAYS)


def update_project_release(
    project_release: ProjectRelease,
    actor: Any,
    *,
    fixed_version: str,
    fix_url: str,
    status: str,
    expected_version: int | None,
) -> ProjectRelease:
    """A maintainer records their project's fix and release (coordinators: any project).

    Status moves planned -> ready -> released (ready may go back to planned);
    released is final and needs a fixed version.
    """
    plan = project_release.plan
    case = plan.case
    case_access = _require(actor, case, "update_release")
    if (
        not case_access.can("manage_case")
        and project_release.project.organisation_id not in case_access.organisation_ids
    ):
        raise PermissionDenied("You can only update your own project's release.")
    if status not in ReleaseStatus.values:
        raise ValidationError({"status": "Choose planned, ready or released."})
    fixed_version, fix_url = fixed_version.strip(), fix_url.strip()
    if status == ReleaseStatus.RELEASED and not fixed_version:
        raise ValidationError({"fixed_version": "Record the fixed version before releasing."})
    with transaction.atomic():
        plan = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        pr = ProjectRelease.objects.select_for_update().get(pk=project_release.pk, plan=plan)
        if expected_version is not None and pr.version != expected_version:
            raise StaleEdit(StaleEdit.message)
        if pr.status == ReleaseStatus.RELEASED and status != ReleaseStatus.RELEASED:
            raise TransitionError("This project has already released its fix.")
        now = timezone.now()
        old_status = pr.status
        pr.fixed_version, pr.fix_url, pr.status = fixed_version, fix_url, status
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
                "fixed_version": fixed_version,
                "fix_url": fix_url,
            },
        )
        _refresh_plan_milestones(plan, actor, now)
        case.touch()
    return pr


def _refresh_plan_milestones(plan: ReleasePlan, actor: Any, now: dt.datetime) -> None:
    """Fixed when every project is ready; released when every project has released."""
    releases = list(plan.project_releases.all())
    fixed_at = (
        max(r.ready_at for r in releases)
        if releases and all(r.ready_at for r in releases)
        else None
    )
    released_at = (
        max(r.released_at for r in releases)
        if releases and all(r.released_at for r in releases)
        else None
    )
    fields = []
    if fixed_at != plan.fixed_at:
        plan.fixed_at = fixed_at
        fields.append("fixed_at")
    if released_at != plan.released_at:
        plan.released_at = released_at
        fields.append("released_at")
        if released_at is not None:
            plan.case.log(actor, "case.release.released", {"released_at": _iso(released_at)})
            _notify("release.released", case_id=plan.case_id, release_id=plan.pk)
    if fields:
        plan.updated_at = now
        plan.save(update_fields=[*fields, "updated_at"])


def deployer_organisations(case: Case) -> QuerySet[Organisation]:
    """Partner and downstream organisations taking part in the case."""
    return Organisation.objects.filter(
        participations__case=case,
        participations__removed_at__isnull=True,
        participations__role__in=DEPLOYER_ROLES,
    ).distinct()


def reporting_organisations(case: Case, case_access: access.CaseAccess) -> QuerySet[Organisation]:
    """Organisations the user may report deployment for on this case."""
    orgs = deployer_organisations(case)
    if case_access.can("manage_case"):
        return orgs
    return orgs.filter(pk__in=list(case_access.organisation_ids))


def add_pre_notification(
    case: Case,
    actor: Any,
    *,
    organisation: Organisation,
    notify_at: dt.datetime | None = None,
) -> PreNotification:
    """List a partner or downstream organisation for pre-notification (coordinators)."""
    _require(actor, case, "manage_case")
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


def mark_pre_notification_sent(pn: PreNotification, actor: Any) -> PreNotification:
    """A coordinator records that the organisation was pre-notified."""
    _require(actor, pn.plan.case, "manage_case")
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
    pk: int, actor: Any, *, notify: bool
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
            _notify("prenotification.sent", case_id=case.pk, organisation_id=pn.organisation_id)
        case.touch()
    return pn, True


def acknowledge_pre_notification(pn: PreNotification, user: Any) -> PreNotification:
    """A member of the pre-notified organisation confirms they received it."""
    case = pn.plan.case
    case_access = _require(user, case, "view_case")
    if pn.organisation_id not in case_access.organisation_ids:
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


def report_deployment(
    case: Case,
    user: Any,
    *,
    organisation: Organisation,
    status: str,
    note: str = "",
) -> DeploymentReport:
    """A partner or downstream organisation reports its deployment state.

    Members report for their own organisation; coordinators may record it for any
    deployer organisation of the case (e.g. after a phone call). Each report is a
    timeline entry, so the row holds the current state and the timeline the history.
    """
    case_access = _require(user, case, "report_deployment")
    if status not in DeploymentStatus.values:
        raise ValidationError({"status": "Choose a deployment state."})
    if not deployer_organisations(case).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": "Only partner or downstream participants report deployment."}
        )
    if not case_access.can("manage_case") and organisation.pk not in case_access.organisation_ids:
        raise PermissionDenied("You can only report for your own organisation.")
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
        _notify("deployment.reported", case_id=case.pk, organisation_id=organisation.pk)
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
    return [Deadline(c, ref, "release.target", at, object_id=pk) for c, ref, at, pk in qs]


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


# --------------------------------------------------------------------------- calendar


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_calendar_token(user: Any) -> str:
    """Revoke the user's feed token (if any) and return a new one, shown once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        CalendarToken.objects.create(user=user, token_hash=_hash_token(token))
    return token


def revoke_calendar_token(user: Any) -> int:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def user_for_calendar_token(token: str) -> Any | None:
    """The active user a live token belongs to, or None."""
    row = (
        CalendarToken.objects.filter(token_hash=_hash_token(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user
