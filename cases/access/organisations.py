"""Who manages an organisation: its members (``cases.memberships``) and its webhooks
(``disclosure.notifications.subscriptions``) answer to the same predicate."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from cases.access.core import is_sirt
from cases.models import Membership, Organisation
from cases.types import AnyUser


def can_manage_members(user: AnyUser, organisation: Organisation) -> bool:
    """List, invite, change the role of and remove members, and manage the webhooks:
    the organisation's admins for their own organisation, the SIRT for every one."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_sirt(user):
        return True
    return Membership.objects.filter(
        organisation=organisation, user=user, role=Membership.Role.ADMIN
    ).exists()


def managed_organisations(user: AnyUser) -> models.QuerySet[Organisation]:
    """The organisations whose members ``user`` manages (``can_manage_members``)."""
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    if is_sirt(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        pk__in=Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values(
            "organisation"
        )
    )


def get_organisation_to_manage(user: AnyUser, slug: str) -> Organisation:
    """An organisation for its members' pages: ``Http404`` for anyone outside it (as a
    missing one), ``PermissionDenied`` for a member who is not its admin."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not user.is_authenticated:
        raise Http404("No such organisation.")
    if can_manage_members(user, organisation):
        return organisation
    if user.is_active and Membership.objects.filter(organisation=organisation, user=user).exists():
        raise PermissionDenied("Only the organisation's admins manage its members.")
    raise Http404("No such organisation.")
