"""Who belongs to an organisation, with which role: the changes an admin makes.

``Membership`` is the single source of truth for belonging to an organisation:
visibility and roles on cases are read from it directly (``cases.access``), never from
auth groups, so a membership ends its access on the next request however it is
deleted (here, the admin, a queryset, a cascade). These functions are what the
portal's members pages call (``cases/views/members.py``): each checks
``access.can_manage_members``, locks the organisation row (two admins acting at once
serialise), changes the row and writes the audit record, in one transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from cases import access, audit
from cases.accounts import invitations
from cases.accounts.models import Invitation
from cases.models import Membership, Organisation
from cases.types import User

Role = Membership.Role


def members(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def pending_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invite_member(
    organisation: Organisation, email: str, actor: User, *, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Invite an address to the organisation (the invitee becomes a member on accepting)."""
    _require_manager(actor, organisation)
    return invitations.invite(organisation, email, actor, request=request)


def change_role(
    membership: Membership, role: str, actor: User, *, request: HttpRequest | None = None
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Choose member or admin."})
    with transaction.atomic():
        membership = _lock(membership, actor)
        if membership.role == role:
            return membership
        if membership.role == Role.ADMIN:
            _keep_an_admin(membership, actor)
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            "organisation.member.role_changed",
            actor=actor,
            request=request,
            obj=membership.user,
            organisation=membership.organisation.slug,
            old_role=old,
            role=role,
        )
    return membership


def remove_membership(
    membership: Membership, actor: User, *, request: HttpRequest | None = None
) -> None:
    """Take someone out of the organisation: they lose its cases on their next request
    (web and API), and notifications for them stop, since both read memberships."""
    with transaction.atomic():
        membership = _lock(membership, actor)
        if membership.role == Role.ADMIN:
            _keep_an_admin(membership, actor)
        user, organisation, role = membership.user, membership.organisation, membership.role
        membership.delete()
        audit.record(
            "organisation.member.removed",
            actor=actor,
            request=request,
            obj=user,
            organisation=organisation.slug,
            role=role,
        )


def _require_manager(actor: User, organisation: Organisation) -> None:
    if not access.can_manage_members(actor, organisation):
        raise PermissionDenied("Only the organisation's admins manage its members.")


def _lock(membership: Membership, actor: User) -> Membership:
    """Lock the organisation, then re-read the membership (gone: ``ValidationError``)."""
    Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    found = (
        Membership.objects.select_related("organisation", "user").filter(pk=membership.pk).first()
    )
    if found is None:
        raise ValidationError("This person is no longer a member.")
    _require_manager(actor, found.organisation)
    return found


def _keep_an_admin(membership: Membership, actor: User) -> None:
    """An organisation's admins cannot leave it without one; the SIRT can (it manages
    every organisation's members anyway)."""
    if access.is_sirt(actor):
        return
    others = Membership.objects.filter(
        organisation=membership.organisation_id, role=Role.ADMIN, user__is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            "The organisation needs at least one admin: make someone else admin first."
        )
