"""Bulk actions of the case list: one change applied to many cases by a coordinator.

Each case goes through the same service as the single action (``add_participant``,
``remove_participant``, ``transition_case``), all in one transaction: either every
selected case is changed or none is, and the result says which case stopped it
("nothing changed: AKR-2026-0003 cannot move from closed to accepted"). A case that
already is as asked (the organisation takes part in that role, the coordinator is
already the one chosen) is left alone and counted as such. One audit row
(``case.bulk.applied``) records the action, its cases and its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cases import access, audit
from cases.models import (
    TRANSITION_LABELS,
    TRANSITIONS,
    Case,
    CaseState,
    Organisation,
    ParticipantRole,
    TransitionError,
)
from cases.services.case import transition_case
from cases.services.participants import add_participant, remove_participant
from cases.types import User

Role = ParticipantRole

# The most cases one bulk action may change (a page of the case list holds 25).
MAX_CASES = 200


class BulkRefused(Exception):
    """Nothing was changed; ``str(exc)`` says which case stopped the action and why."""


@dataclass
class BulkResult:
    action: str
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        n = len(self.updated)
        text = f"{n} case{'s' if n != 1 else ''} updated"
        if self.unchanged:
            text += f"; already so, left as they were: {', '.join(self.unchanged)}"
        return text + "."


def _messages(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _run(
    actor: User,
    cases: Sequence[Case],
    action: str,
    apply: Callable[[Case], bool],
    details: dict[str, object],
) -> BulkResult:
    """Apply ``apply(case)`` (True: changed, False: already so) to every case, or to none."""
    access.require_bulk_manage(actor)  # coordinators only, before anything is read
    if not cases:
        raise BulkRefused("Nothing changed: select at least one case.")
    if len(cases) > MAX_CASES:
        raise BulkRefused(f"Nothing changed: select at most {MAX_CASES} cases at once.")
    result = BulkResult(action)
    current = ""
    try:
        with transaction.atomic():
            for case in sorted(cases, key=lambda c: c.pk):  # one lock order for everyone
                current = case.reference
                (result.updated if apply(case) else result.unchanged).append(case.reference)
            audit.record(
                "case.bulk.applied",
                actor=actor,
                bulk_action=action,
                count=len(result.updated),
                cases=result.updated,
                unchanged=result.unchanged,
                detail=details,
            )
    except TransitionError as exc:
        raise BulkRefused(f"Nothing changed: {current}: {exc}") from exc
    except ValidationError as exc:
        raise BulkRefused(f"Nothing changed: {current}: {_messages(exc)}") from exc
    except PermissionDenied as exc:
        raise BulkRefused(f"Nothing changed: you may not change {current}.") from exc
    return result


def add_organisation(
    actor: User,
    cases: Sequence[Case],
    organisation: Organisation,
    role: str,
) -> BulkResult:
    """Add ``organisation`` as a participant in ``role`` to every case."""

    def apply(case: Case) -> bool:
        if case.participants.active().filter(organisation=organisation, role=role).exists():
            return False
        add_participant(case, actor, organisation=organisation, role=role)
        return True

    return _run(
        actor,
        cases,
        "add_organisation",
        apply,
        {"organisation": organisation.slug, "role": role},
    )


def set_coordinator(actor: User, cases: Sequence[Case], coordinator: User) -> BulkResult:
    """Make ``coordinator`` (a SIRT member) the coordinator of every case: added in the
    coordinator role, any other coordinator of the case removed."""
    access.require_bulk_manage(actor)
    if not access.is_sirt(coordinator):
        raise BulkRefused(
            f"Nothing changed: {coordinator.get_username()} is not a SIRT member, "
            "only they coordinate cases."
        )

    def apply(case: Case) -> bool:
        rows = list(case.participants.active().filter(role=Role.COORDINATOR))
        others = [p for p in rows if p.user_id != coordinator.pk]
        already = len(others) < len(rows)
        if already and not others:
            return False
        if not already:
            add_participant(case, actor, user=coordinator, role=Role.COORDINATOR, notify=False)
        for p in others:
            remove_participant(p, actor)
        return True

    return _run(actor, cases, "set_coordinator", apply, {"coordinator": coordinator.get_username()})


def move_state(actor: User, cases: Sequence[Case], name: str, *, reason: str = "") -> BulkResult:
    """Apply the life-cycle transition ``name`` to every case; each must allow it."""
    access.require_bulk_manage(actor)
    if name not in TRANSITIONS:
        raise BulkRefused(f"Nothing changed: unknown transition {name!r}.")
    sources, target = TRANSITIONS[name]
    # Checked before anything changes, so that the answer names the first case in the way
    # (``Case.transition`` checks again under the row lock).
    states = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "state"))
    for case in cases:
        state = states.get(case.pk, case.state)
        if state not in sources:
            raise BulkRefused(
                f"Nothing changed: {case.reference} cannot move from "
                f"{CaseState(state).label.lower()} to {CaseState(target).label.lower()} "
                f"({TRANSITION_LABELS[name].lower()} applies to "
                f"{', '.join(sorted(CaseState(s).label.lower() for s in sources))} cases)."
            )

    def apply(case: Case) -> bool:
        transition_case(case, actor, name, reason=reason)
        return True

    return _run(actor, cases, "move_state", apply, {"transition": name})
