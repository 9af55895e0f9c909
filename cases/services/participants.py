"""Participants: adding and removing organisations and people (with their grants),
and acknowledging an invitation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import access, audit, events
from cases.models import (
    Case,
    Organisation,
    Participant,
    ParticipantRole,
    TransitionError,
)
from cases.types import User

Role = ParticipantRole


def add_participant(
    case: Case,
    actor: User,
    *,
    role: str,
    organisation: Organisation | None = None,
    user: User | None = None,
    notify: bool = True,
    override_reason: str | None = None,
) -> Participant:
    """Add an organisation or a person to the case in a role.

    An organisation takes the roles of its kind (``access.KIND_ROLES``); another role
    needs a coordinator's override: ``override_reason`` (not blank), written to the
    timeline entry. ``None`` means no override was asked for. Coordinators only.
    """
    access.require_on(actor, case, "manage_case")
    return _add_participant(
        case,
        actor,
        role=role,
        organisation=organisation,
        user=user,
        notify=notify,
        override_reason=override_reason,
    )


def _add_participant(
    case: Case,
    actor: User,
    *,
    role: str,
    organisation: Organisation | None = None,
    user: User | None = None,
    notify: bool = True,
    override_reason: str | None = None,
) -> Participant:
    if (organisation is None) == (user is None):
        raise ValidationError("Choose either an organisation or a person.")
    override = _role_override(actor, role, organisation, user, override_reason)
    with transaction.atomic():
        existing = case.participants.active().filter(
            organisation=organisation, user=user, role=role
        )
        if existing.exists():
            raise ValidationError(
                {"organisation" if organisation else "user": "Already a participant in this role."}
            )
        participant = Participant.objects.create(
            case=case, organisation=organisation, user=user, role=role, invited_by=actor
        )
        access.sync_grants(case, organisation=organisation, user=user)
        entry: dict[str, Any] = {
            "participant": participant.pk,
            "role": role,
            "organisation": organisation.name if organisation else None,
            "user": user.get_username() if user else None,
        }
        overridden: dict[str, Any] = {"override_reason": override} if override else {}
        case.log(actor, "case.participant.added", {**entry, **overridden})
        audit.record(
            "case.participant.added",
            actor=actor,
            obj=case,
            participant=participant.pk,
            role=role,
            organisation=organisation.slug if organisation else None,
            user=user.get_username() if user else None,
            **overridden,
        )
        case.touch()
        if notify:
            events.emit("participant.invited", case_id=case.pk, participant_id=participant.pk)
    return participant


def _role_override(
    actor: User,
    role: str,
    organisation: Organisation | None,
    user: User | None,
    override_reason: str | None,
) -> str:
    """Check that the role fits who takes it; return the override reason it needs, or ""."""
    if role == Role.COORDINATOR:
        # Coordinators are the SIRT's members; the role only records who opened a case.
        if organisation is not None or user is None or not access.is_sirt(user):
            raise ValidationError({"role": "Only a SIRT member can be a coordinator."})
        return ""
    if organisation is None:
        return ""
    if organisation.kind == Organisation.Kind.SIRT:
        raise ValidationError(
            {
                "organisation": "The SIRT coordinates every case through its members; "
                "it does not take part as a participant."
            }
        )
    if access.role_fits(organisation, role):
        return ""
    if override_reason is None:
        raise ValidationError(
            {
                "role": f"{organisation.get_kind_display()} organisations take part as "
                f"{access.kind_roles_text(organisation.kind)}. Another role needs a "
                "coordinator's override with a reason."
            }
        )
    if not access.is_sirt(actor):
        raise PermissionDenied("Only a coordinator can override the roles of an organisation.")
    reason = override_reason.strip()
    if not reason:
        raise ValidationError({"override_reason": "Say why this organisation takes this role."})
    return reason


def remove_participant(participant: Participant, actor: User) -> Participant:
    """Take a participant out of the case; its grants go in the same transaction."""
    access.require_on(actor, participant.case, "manage_case")
    return _remove_participant(participant, actor)


def _remove_participant(participant: Participant, actor: User) -> Participant:
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.removed_at:
            return participant
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        access.sync_grants(
            participant.case, organisation=participant.organisation, user=participant.user
        )
        participant.case.log(
            actor,
            "case.participant.removed",
            {"participant": participant.pk, "role": participant.role},
        )
        audit.record(
            "case.participant.removed",
            actor=actor,
            obj=participant.case,
            participant=participant.pk,
            role=participant.role,
        )
        participant.case.touch()
    return participant


def acknowledge(case: Case, user: User) -> list[Participant]:
    """The user's organisation (or the user) acknowledges the invitation to the case."""
    case_access = access.require_on(user, case, "view_case")
    with transaction.atomic():
        mine = (
            case.participants.active()
            .filter(acknowledged_at__isnull=True)
            .filter(access.participant_rows_q(user))
            # Lock only the participant rows: the organisation join is an outer join,
            # which PostgreSQL cannot lock.
            .select_for_update(of=("self",))
        )
        changed = [p for p in mine if access.can_acknowledge_participation(case_access, p)]
        if not changed:
            raise TransitionError("There is nothing for you to acknowledge on this case.")
        now = timezone.now()
        for p in changed:
            p.acknowledged_at = now
            p.acknowledged_by = user
            p.save(update_fields=["acknowledged_at", "acknowledged_by"])
            case.log(user, "case.participant.acknowledged", {"participant": p.pk, "role": p.role})
        case.touch()
    return changed
