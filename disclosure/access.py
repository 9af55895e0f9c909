"""The disclosure app's object predicates, built on ``cases.access``.

``cases.access`` decides who sees a case and which actions each role takes there; the
questions below also depend on a disclosure object (whose proposal, which project's
release, which organisation's pre-notification), so they live in this app (``cases``
imports nothing of ``disclosure``). Each is asked by the service that enforces it
(``disclosure.services``, the advisory workflow) and by the panel that shows the
button (``disclosure.panels``, the advisory panel); neither decides on its own.

Predicates answer who may; whether the object's state allows it now (an open
proposal, a sent pre-notification) is the model's, checked again by the service
under the row lock. They read only attributes of the objects they are given, so this
module imports no disclosure model at run time (the models' own methods may ask it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.access import CaseAccess, participant_rows_q
from cases.models import Case, Organisation, Participant, ParticipantRole

if TYPE_CHECKING:
    from disclosure.models import Advisory, EmbargoProposal, PreNotification, ProjectRelease

Role = ParticipantRole
# Roles whose organisations are pre-notified and report deployment.
DEPLOYER_ROLES = (Role.PARTNER, Role.DOWNSTREAM)
# Roles that agree or object to proposals. Not reporters: their answer would show up
# on the timeline of other reporters, who must never learn of each other.
RESPONDER_ROLES = (Role.MAINTAINER, Role.PARTNER, Role.DOWNSTREAM)


# --------------------------------------------------------------------------- embargo


def responder_row(access: CaseAccess) -> Participant | None:
    """The participant row a user answers proposals for: their own, else their
    organisation's; ``None`` for someone who does not answer (a reporter, a coordinator
    without a row). Asked once per request (``CaseAccess.memo``)."""
    if "responder_row" not in access.memo:
        row = None
        if access.can("comment_case"):
            rows = list(
                access.case.participants.active()
                .filter(participant_rows_q(access.user))
                .filter(role__in=RESPONDER_ROLES)
                .select_related("organisation")
            )
            rows.sort(key=lambda p: (p.user_id is None, p.pk))
            row = rows[0] if rows else None
        access.memo["responder_row"] = row
    return access.memo["responder_row"]


def can_respond_to_proposal(access: CaseAccess, proposal: EmbargoProposal) -> bool:
    """Agree or object to a proposed date: a maintainer, partner or downstream
    participant, for their row (``responder_row``)."""
    return responder_row(access) is not None


def can_decide_proposal(access: CaseAccess, proposal: EmbargoProposal) -> bool:
    """Accept (the agreed date) or reject a proposal: coordinators."""
    return access.can("manage_case")


def can_withdraw_proposal(access: CaseAccess, proposal: EmbargoProposal) -> bool:
    """Take a proposal back: its proposer (who may still propose), or a coordinator."""
    if not access.can("propose_embargo"):
        return False
    return access.can("manage_case") or proposal.proposer_id == access.user.pk


# --------------------------------------------------------------------------- release


def can_update_project_release(access: CaseAccess, release: ProjectRelease) -> bool:
    """Record a project's fix and release: that project's maintainers, coordinators."""
    if not access.can("update_release"):
        return False
    return access.can("manage_case") or release.project.organisation_id in access.organisation_ids


def can_propose_release_target(access: CaseAccess) -> bool:
    """Start the release plan and propose its target time: maintainers of a project of
    the case (``update_release`` for one of its projects), coordinators. Setting the
    target stays the coordinators' (``manage_case``)."""
    if access.can("manage_case"):
        return True
    if not access.can("update_release"):
        return False
    if "maintains_case_project" not in access.memo:
        access.memo["maintains_case_project"] = access.case.projects.filter(
            organisation_id__in=list(access.organisation_ids)
        ).exists()
    return access.memo["maintains_case_project"]


def deployer_organisations(case: Case) -> QuerySet[Organisation]:
    """Partner and downstream organisations taking part in the case: the ones that are
    pre-notified and report their deployment."""
    return Organisation.objects.filter(
        participations__case=case,
        participations__removed_at__isnull=True,
        participations__role__in=DEPLOYER_ROLES,
    ).distinct()


def can_report_deployment(access: CaseAccess, organisation: Organisation) -> bool:
    """Report ``organisation``'s deployment: its members (partner or downstream in the
    case), or a coordinator for any deployer (after a phone call, say). That the
    organisation is a deployer of the case is the service's field check."""
    if not access.can("report_deployment"):
        return False
    return access.can("manage_case") or organisation.pk in access.organisation_ids


def reporting_organisations(access: CaseAccess) -> QuerySet[Organisation]:
    """``can_report_deployment`` as a list: the deployers of the case this user may
    report for (the choices of the deployment form)."""
    if not access.can("report_deployment"):
        return Organisation.objects.none()
    organisations = deployer_organisations(access.case)
    if access.can("manage_case"):
        return organisations
    return organisations.filter(pk__in=list(access.organisation_ids))


def can_acknowledge_pre_notification(access: CaseAccess, pre_notification: PreNotification) -> bool:
    """Confirm a pre-notification arrived: members of the pre-notified organisation."""
    return access.can_view and pre_notification.organisation_id in access.organisation_ids


# --------------------------------------------------------------------------- advisory


def can_approve_advisory(access: CaseAccess, advisory: Advisory) -> bool:
    """Approve an advisory in review: a second coordinator, neither its author nor the
    one who submitted it (``Advisory.is_own_work``)."""
    return access.can("manage_case") and not advisory.is_own_work(access.user)
