"""Vendor status per vulnerability: who is asked, who answers for an organisation, who
reads what (cases/README.md, "Vendor status per vulnerability").

- The vendors of a case are its participant organisations in a vendor role
  (``VENDOR_ROLES``: maintainer, partner, downstream): read here from the participant
  rows every time, never copied.
- An organisation's status is set by its members (their organisation takes part in a
  vendor role), or by a coordinator on its behalf.
- Who reads a status: the SIRT every one; an organisation its own; everyone in the
  case the statuses marked public once the advisory is published. Under embargo a
  partner does not learn what another vendor said.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, Min, OuterRef, Q

from cases.access.core import is_sirt, member_organisation_ids
from cases.access.roles import Role
from cases.models import (
    Case,
    Organisation,
    Participant,
    TimelineEntry,
    VendorStatus,
    Vulnerability,
)
from cases.types import AnyUser

if TYPE_CHECKING:
    from cases.access.case_access import CaseAccess

# Organisations in these roles ship or maintain an affected product: they give a status.
VENDOR_ROLES: tuple[str, ...] = (Role.MAINTAINER, Role.PARTNER, Role.DOWNSTREAM)

# The timeline entry of an advisory's first publication (written by the disclosure app;
# read here as a fact of the case, no import of that app).
ADVISORY_PUBLISHED = "case.advisory.published"


def vendor_participations(cases: models.QuerySet | list[int] | Case) -> models.QuerySet:
    """Active participant rows of organisations in a vendor role, of one case or many."""
    rows = Participant.objects.active().filter(organisation__isnull=False, role__in=VENDOR_ROLES)
    if isinstance(cases, Case):
        return rows.filter(case=cases)
    return rows.filter(case__in=cases)


def vendor_organisations(case: Case) -> models.QuerySet[Organisation]:
    """The organisations asked for a status on ``case``, by name, each with ``since``:
    when it first joined the case in a vendor role (the reminder counts from there)."""
    return (
        Organisation.objects.filter(
            participations__case=case,
            participations__removed_at__isnull=True,
            participations__role__in=VENDOR_ROLES,
        )
        .annotate(since=Min("participations__invited_at"))
        .order_by("name")
    )


def vendor_organisation_ids(access: CaseAccess) -> frozenset[int]:
    """``vendor_organisations`` of the case as ids, asked once per request."""
    if "vendor_organisation_ids" not in access.memo:
        access.memo["vendor_organisation_ids"] = frozenset(
            vendor_participations(access.case).values_list("organisation_id", flat=True)
        )
    return access.memo["vendor_organisation_ids"]


def can_set_vendor_status(access: CaseAccess, organisation: Organisation) -> bool:
    """Set ``organisation``'s status on a vulnerability of the case: its members, when it
    takes part in a vendor role; a coordinator for any organisation (on its behalf, with
    a note). That the organisation is a vendor of the case is the service's field check
    for coordinators."""
    if not access.can_view or not access.user.is_authenticated:
        return False
    if access.can("manage_case"):
        return True
    return (
        organisation.pk in access.organisation_ids
        and organisation.pk in vendor_organisation_ids(access)
    )


def settable_organisations(access: CaseAccess) -> models.QuerySet[Organisation]:
    """``can_set_vendor_status`` as a list: the vendors this user may answer for."""
    organisations = vendor_organisations(access.case)
    if not access.can_view or not access.user.is_authenticated:
        return organisations.none()
    if access.can("manage_case"):
        return organisations
    return organisations.filter(pk__in=list(access.organisation_ids))


def can_remind_vendor(access: CaseAccess) -> bool:
    """Remind a vendor that has not answered: coordinators."""
    return access.can("manage_case")


def vendor_statuses_published(access: CaseAccess) -> bool:
    """Whether the case's advisory has been published: from then on, the statuses a
    vendor marked public are public (they are in the advisory's files)."""
    if "vendor_statuses_published" not in access.memo:
        access.memo["vendor_statuses_published"] = TimelineEntry.objects.filter(
            case=access.case, action=ADVISORY_PUBLISHED
        ).exists()
    return access.memo["vendor_statuses_published"]


def visible_vendor_statuses(access: CaseAccess) -> models.QuerySet[VendorStatus]:
    """The vendor statuses of the case this user may read (web and API alike)."""
    rows = VendorStatus.objects.filter(vulnerability__case=access.case).select_related(
        "organisation", "set_by", "vulnerability"
    )
    if not access.can_view:
        return rows.none()
    if access.can("manage_case"):
        return rows
    readable = Q(organisation__in=list(access.organisation_ids))
    if vendor_statuses_published(access):
        readable |= Q(public=True)
    return rows.filter(readable)


def may_read_vendor_status_details(access: CaseAccess, row: VendorStatus) -> bool:
    """Who set a status, the coordinator's note and a statement not marked public: the
    SIRT and the organisation itself. Others read a published row's public part."""
    return access.can("manage_case") or row.organisation_id in access.organisation_ids


def vendor_status_entries_q(user: AnyUser | None, organisation_ids: frozenset[int] | None) -> Q:
    """Timeline entries about another organisation's vendor status: hidden from everyone
    but the SIRT and that organisation (``None``: the user's organisations)."""
    if organisation_ids is None and is_sirt(user):
        return Q(pk__in=[])  # matches nothing: the SIRT reads every entry
    if organisation_ids is None:
        organisation_ids = (
            frozenset(member_organisation_ids(user).values_list("organisation", flat=True))
            if user is not None
            else frozenset()
        )
    return Q(action__startswith="case.vendor_status.") & ~Q(
        data__organisation_id__in=sorted(organisation_ids)
    )


def missing_vendor_status_rows(cases: models.QuerySet) -> models.QuerySet:
    """Vendor participant rows of ``cases`` whose organisation has not given a status
    on at least one vulnerability of the case: one row per (case, organisation), its
    first vendor participation (``invited_at``: since when it was asked)."""
    earlier = Participant.objects.active().filter(
        case=OuterRef("case"),
        organisation=OuterRef("organisation"),
        role__in=VENDOR_ROLES,
        pk__lt=OuterRef("pk"),
    )
    unanswered = Vulnerability.objects.filter(case=OuterRef("case")).exclude(
        Exists(
            VendorStatus.objects.filter(
                vulnerability=OuterRef("pk"), organisation=OuterRef(OuterRef("organisation"))
            )
        )
    )
    return (
        vendor_participations(cases)
        .filter(~Exists(earlier), Exists(unanswered))
        .select_related("case", "organisation")
        .order_by("invited_at", "pk")
    )
