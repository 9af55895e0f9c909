"""Object predicates: "may this user do this to this object?", one function each.

An action on the whole case is ``access.can(action)`` (the role table). A question
that also depends on the object (whose comment, whose credit, which organisation) is
a predicate here, named ``can_*``: the service that makes the change calls it and
refuses (``PermissionDenied``, or a field error for a choice the form never offers),
and the page that shows the button or the choice asks the same function. Whether the
object's *state* allows it now (an open proposal, an unacknowledged row) is the
model's to say, and the service checks it again under the row lock.

Predicates that need the disclosure app's objects live in ``disclosure/access.py``,
built on these (``cases`` imports nothing of ``disclosure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from cases.access.core import is_sirt, member_organisation_ids, participant_rows_q
from cases.access.roles import ACKNOWLEDGING_ROLES
from cases.models import CommentVisibility, Credit, Organisation, Participant, Report
from cases.types import AnyUser

if TYPE_CHECKING:
    from cases.access.case_access import CaseAccess


# --------------------------------------------------------------------------- reports


def can_triage(user: AnyUser | None) -> bool:
    """Open a case from a report, merge a report into a case, reject a report: the SIRT."""
    return is_sirt(user)


def require_triage(user: AnyUser | None) -> None:
    if not can_triage(user):
        raise PermissionDenied("Only the SIRT triages reports.")


def can_bulk_manage(user: AnyUser | None) -> bool:
    """Apply one change to many cases at once (the case list's bulk actions): the SIRT.
    Each case's change is checked again by its own service (``manage_case``)."""
    return is_sirt(user)


def require_bulk_manage(user: AnyUser | None) -> None:
    if not can_bulk_manage(user):
        raise PermissionDenied("Only coordinators apply bulk actions.")


def can_report_for(user: AnyUser, organisation: Organisation) -> bool:
    """Send a report on behalf of ``organisation``: its members."""
    return (
        user.is_authenticated
        and user.is_active
        and member_organisation_ids(user).filter(organisation=organisation).exists()
    )


def can_attach_to_report(user: AnyUser, report: Report) -> bool:
    """Add a file to a report: its reporter (with the report), or the SIRT, who
    triages it. Anyone else's files go to the case (``upload_case``)."""
    return user.is_authenticated and (report.reporter_id == user.pk or is_sirt(user))


# --------------------------------------------------------------------------- discussion


def comment_visibility_choices(access: CaseAccess) -> list[str]:
    """Who a new comment of this user may be for: everyone; coordinators only (for
    coordinators); one organisation (one's own, any participant's for coordinators)."""
    choices = [CommentVisibility.ALL.value]
    if access.is_coordinator:
        choices.append(CommentVisibility.COORDINATORS.value)
    if access.is_coordinator or access.organisation_ids:
        choices.append(CommentVisibility.ORGANISATION.value)
    return choices


def addressable_organisations(access: CaseAccess) -> models.QuerySet[Organisation]:
    """The organisations an organisation-only comment of this user may be for."""
    if access.is_coordinator:
        return Organisation.objects.filter(
            participations__case=access.case, participations__removed_at__isnull=True
        ).distinct()
    return Organisation.objects.filter(pk__in=access.organisation_ids)


def can_address_organisation(access: CaseAccess, organisation: Organisation) -> bool:
    """Post a comment only ``organisation`` (and the coordinators) may read."""
    if access.is_coordinator:
        return addressable_organisations(access).filter(pk=organisation.pk).exists()
    return organisation.pk in access.organisation_ids


# --------------------------------------------------------------------------- participants


def can_acknowledge_participation(access: CaseAccess, participant: Participant) -> bool:
    """Acknowledge ``participant``'s invitation: a row that stands for this user (their
    own, or their organisation's) in an acknowledging role. (Already acknowledged is the
    row's state, not a right: ``participant.acknowledged_at``.)"""
    user = access.user
    if participant.role not in ACKNOWLEDGING_ROLES or not user.is_authenticated:
        return False
    return participant.user_id == user.pk or participant.organisation_id in access.organisation_ids


def acknowledging_rows_q(user: AnyUser) -> Q:
    """``can_acknowledge_participation`` as a filter, for the rows still waiting (over
    many cases: the home page's invitations)."""
    return Q(role__in=ACKNOWLEDGING_ROLES, acknowledged_at__isnull=True) & participant_rows_q(user)


# --------------------------------------------------------------------------- credits


def can_consent_to_credit(access: CaseAccess, credit: Credit) -> bool:
    """Give or withdraw consent to be named for ``credit``: the credited person only."""
    user = access.user
    return (
        access.can_view
        and user.is_authenticated
        and credit.user_id is not None
        and credit.user_id == user.pk
    )
