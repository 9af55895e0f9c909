"""Embargo workflows: clocks, proposals and responses, breaking and lifting the
embargo. Timeline codes ``case.embargo.*``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import audit, events
from cases.access import require_on
from cases.models import Case, Participant, ParticipantRole, TransitionError
from cases.types import User
from disclosure.access import (
    DEPLOYER_ROLES,
    can_decide_proposal,
    can_respond_to_proposal,
    can_withdraw_proposal,
    responder_row,
)
from disclosure.models import (
    ClockStart,
    Embargo,
    EmbargoClock,
    EmbargoPolicy,
    EmbargoProposal,
    EmbargoState,
    ProposalResponse,
    ProposalState,
)
from disclosure.models.embargo import Agreement
from disclosure.services.common import _iso

MAX_BREAK_GRACE_HOURS = 72


# --------------------------------------------------------------------------- embargo


def get_or_create_embargo(case: Case) -> Embargo:
    embargo, _ = Embargo.objects.get_or_create(case=case)
    return embargo


def _lock_embargo(case: Case) -> Embargo:
    get_or_create_embargo(case)
    return Embargo.objects.select_for_update().get(case=case)


def _set_public_at(embargo: Embargo, actor: User, cause: str) -> None:
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
    # "from" is a keyword: the fields go in as a dict, typed so none can be taken for
    # ``request``.
    fields: dict[str, Any] = {"from": _iso(old), "to": _iso(new), "cause": cause}
    audit.record("embargo.changed", actor=actor, obj=embargo.case, **fields)
    events.emit("embargo.changed", case_id=embargo.case_id)


def _default_start(case: Case, policy: EmbargoPolicy, now: dt.datetime) -> dt.datetime:
    """A report-started clock runs from the first report of the case; others from now."""
    if policy.clock_start == ClockStart.REPORT:
        first = case.reports.order_by("received_at").values_list("received_at", flat=True).first()
        return first or case.created_at
    return now


def start_clock(
    case: Case,
    actor: User,
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
    require_on(actor, case, "manage_case")
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


def stop_clock(clock: EmbargoClock, actor: User, *, reason: str) -> EmbargoClock:
    """Stop a clock that no longer applies (coordinators); the others keep running."""
    case = clock.embargo.case
    require_on(actor, case, "manage_case")
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


def propose_date(
    case: Case, actor: User, *, public_at: dt.datetime, reason: str
) -> EmbargoProposal:
    """A maintainer or coordinator proposes a public date, with a reason."""
    case_access = require_on(actor, case, "propose_embargo")
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
        # A maintainer (partner, downstream) who proposes a date agrees to it: their
        # row's answer is recorded with the proposal, so it counts for the agreement.
        own_row = responder_row(case_access)
        if own_row is not None:
            ProposalResponse.objects.create(
                proposal=proposal, participant=own_row, user=actor, stance="agree"
            )
        case.log(
            actor,
            "case.embargo.proposed",
            {
                "proposal": proposal.pk,
                "public_at": _iso(public_at),
                "exceeds_limit": embargo.exceeds_limit(public_at),
                "agreed_for": own_row.pk if own_row is not None else None,
            },
        )
        events.emit("embargo.proposed", case_id=case.pk, proposal_id=proposal.pk, actor_id=actor.pk)
        case.touch()
    return proposal


def _ensure_open(proposal: EmbargoProposal) -> None:
    if not proposal.is_open:
        state = proposal.get_state_display().lower()
        raise TransitionError(f"This proposal is already {state}.")


def respond_to_proposal(
    proposal: EmbargoProposal, user: User, *, stance: str, comment: str = ""
) -> ProposalResponse:
    """A participant agrees or objects (answering again replaces the earlier answer)."""
    case = proposal.embargo.case
    case_access = require_on(user, case, "comment_case")
    if not can_respond_to_proposal(case_access, proposal):
        raise PermissionDenied("Only participants of the case can agree or object.")
    participant = responder_row(case_access)
    assert participant is not None  # can_respond_to_proposal
    if stance not in ProposalResponse.Stance.values:
        raise ValidationError({"stance": "Agree or object."})
    if stance == ProposalResponse.Stance.OBJECT and not comment.strip():
        raise ValidationError({"comment": "Say why you object."})
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


@dataclass(frozen=True)
class ProposalAgreement:
    """Where a proposal stands with the agreement its embargo's policy asks for."""

    required_roles: tuple[str, ...]
    agreed: list[Participant] = field(default_factory=list)
    objected: list[Participant] = field(default_factory=list)
    waiting: list[Participant] = field(default_factory=list)

    @property
    def required(self) -> list[Participant]:
        return [*self.agreed, *self.objected, *self.waiting]

    @property
    def is_reached(self) -> bool:
        """Every required participant agreed (and there is at least one to agree)."""
        return bool(self.agreed) and not self.objected and not self.waiting

    def explain(self) -> str:
        """Why the agreement is not reached, in words for the coordinator."""
        if not self.required:
            return "No maintainer takes part in the case, so nobody can agree to the date."
        parts = []
        if self.objected:
            names = ", ".join(p.display_name for p in self.objected)
            parts.append(f"objected: {names}")
        if self.waiting:
            names = ", ".join(p.display_name for p in self.waiting)
            parts.append(f"not agreed yet: {names}")
        return "The agreement the embargo policy asks for is missing (" + "; ".join(parts) + ")."


def proposal_agreement(
    proposal: EmbargoProposal,
    embargo: Embargo | None = None,
    participants: list[Participant] | None = None,
) -> ProposalAgreement:
    """Who had to agree to ``proposal`` and who did (the policy's ``agreement``: the
    maintainers, or also partners and downstream). Pass the ``embargo`` with its clocks
    and the case's active ``participants`` to save queries (the panel does); the
    proposal's ``responses`` are read unfiltered (answers are never reporters')."""
    embargo = embargo or proposal.embargo
    roles: tuple[str, ...] = (ParticipantRole.MAINTAINER,)
    if embargo.required_agreement() == Agreement.ALL_PARTIES:
        roles = (ParticipantRole.MAINTAINER, *DEPLOYER_ROLES)
    if participants is None:
        participants = list(
            Participant.objects.active()
            .filter(case_id=embargo.case_id)
            .select_related("organisation", "user")
        )
    required = [p for p in participants if p.removed_at is None and p.role in roles]
    stances = {r.participant_id: r.stance for r in proposal.responses.all()}
    agreement = ProposalAgreement(required_roles=roles)
    for p in sorted(required, key=lambda p: p.display_name.lower()):
        stance = stances.get(p.pk)
        if stance == ProposalResponse.Stance.AGREE:
            agreement.agreed.append(p)
        elif stance == ProposalResponse.Stance.OBJECT:
            agreement.objected.append(p)
        else:
            agreement.waiting.append(p)
    return agreement


def accept_proposal(
    proposal: EmbargoProposal,
    actor: User,
    *,
    override: bool = False,
    override_reason: str = "",
    reason: str = "",
) -> EmbargoProposal:
    """A coordinator accepts a date: it becomes the agreed public date.

    It needs the agreement the embargo policy asks for (every maintainer of the case,
    or also partners and downstream: ``proposal_agreement``); a coordinator's own
    proposal is no exception. Without that agreement, or beyond a running clock's
    maximum, it needs ``override`` and ``override_reason``; an override is notified to
    every participant (``embargo.overridden``). The other open proposals are
    rejected as superseded.
    """
    case = proposal.embargo.case
    if not can_decide_proposal(require_on(actor, case, "view_case"), proposal):
        raise PermissionDenied("Only coordinators decide on proposals.")
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
        agreement = proposal_agreement(proposal, embargo)
        without_agreement = not agreement.is_reached
        problems = []
        if limit is not None and exceeds:
            problems.append(
                f"The date is beyond the maximum of the {limit[1].policy.name} clock "
                f"({limit[0]:%Y-%m-%d %H:%M} UTC)."
            )
        if without_agreement:
            problems.append(agreement.explain())
        if problems:
            if not override:
                raise ValidationError(
                    {
                        "override": " ".join(problems)
                        + " Tick override and give a reason to accept it anyway; every "
                        "participant is told."
                    }
                )
            if not override_reason.strip():
                raise ValidationError({"override_reason": "Give a reason for the override."})
        proposal.state = ProposalState.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.decision_reason = reason.strip()
        proposal.override = exceeds
        proposal.agreement_override = without_agreement
        proposal.override_reason = override_reason.strip() if problems else ""
        proposal.save()
        case.log(
            actor,
            "case.embargo.proposal_accepted",
            {
                "proposal": proposal.pk,
                "public_at": _iso(proposal.public_at),
                "override": exceeds,
                "agreement_override": without_agreement,
                "override_reason": proposal.override_reason,
            },
        )
        if problems:
            events.emit("embargo.overridden", case_id=case.pk, proposal_id=proposal.pk)
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


def reject_proposal(proposal: EmbargoProposal, actor: User, *, reason: str) -> EmbargoProposal:
    case = proposal.embargo.case
    if not can_decide_proposal(require_on(actor, case, "view_case"), proposal):
        raise PermissionDenied("Only coordinators decide on proposals.")
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


def withdraw_proposal(proposal: EmbargoProposal, actor: User) -> EmbargoProposal:
    """The proposer (or a coordinator) takes an open proposal back."""
    case = proposal.embargo.case
    if not can_withdraw_proposal(require_on(actor, case, "view_case"), proposal):
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
    case: Case, actor: User, *, kind: str, reason: str, grace_hours: int = 0
) -> Embargo:
    """Record a broken embargo: public date now (or after a short grace), early disclosure.

    The advisory publication treats the case as lifted once the grace is over
    (``Embargo.has_lifted``); open proposals are rejected.
    """
    require_on(actor, case, "manage_case")
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
        events.emit("embargo.broken", case_id=case.pk)
        case.touch()
    return embargo


def lift_embargo(
    embargo: Embargo, actor: User | None = None, now: dt.datetime | None = None
) -> bool:
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
        events.emit("embargo.lifted", case_id=locked.case_id)
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
