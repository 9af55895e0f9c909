"""Vendor status per vulnerability: participants set their organisation's status,
coordinators set it on an organisation's behalf (with a note), see the matrix
vulnerability x organisation and remind those who have not answered.

Who is asked, who may answer and who reads what is ``cases.access.vendors``; this
module makes the changes (one locked, logged transaction each) and assembles what
the case page, the API, the SIRT's work queue and the reminder sweep show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases import access, events
from cases.access import CaseAccess
from cases.models import (
    OPEN_STATES,
    Case,
    Organisation,
    Participant,
    StaleEdit,
    TimelineEntry,
    VendorStatus,
    VendorStatusValue,
    Vulnerability,
)
from cases.models.vendor_status import STATEMENT_MAX_LENGTH, check_justification
from cases.types import AnyUser, User

REMINDED = "case.vendor_status.reminded"


# --------------------------------------------------------------------------- changes


def set_vendor_status(
    case: Case,
    actor: User,
    *,
    vulnerability: Vulnerability,
    organisation: Organisation,
    status: str,
    justification: str = "",
    statement: str = "",
    public: bool = False,
    product: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> VendorStatus:
    """Record ``organisation``'s status on ``vulnerability`` (a change is a new timeline
    entry; the row holds the latest). Its members set it; a coordinator may set it on
    its behalf and must then say how they learnt it (``note``). Changing a status that
    exists needs the ``expected_version`` read: an older one is refused (``StaleEdit``).
    """
    case_access = access.require_on(actor, case, "view_case")
    if not access.can_set_vendor_status(case_access, organisation):
        raise PermissionDenied("You cannot give the status of this organisation.")
    errors: dict[str, str] = {}
    if vulnerability.case_id != case.pk:
        errors["vulnerability"] = "Choose a vulnerability of this case."
    if organisation.pk not in access.vendor_organisation_ids(case_access):
        errors["organisation"] = (
            "This organisation does not take part in the case as a maintainer, partner "
            "or downstream."
        )
    if status not in VendorStatusValue.values:
        errors["status"] = "Choose a status: under investigation, affected, not affected or fixed."
    statement, note, product = statement.strip(), note.strip(), product.strip()
    if len(statement) > STATEMENT_MAX_LENGTH:
        errors["statement"] = f"At most {STATEMENT_MAX_LENGTH} characters."
    if len(product) > 200:
        errors["product"] = "At most 200 characters."
    on_behalf = organisation.pk not in case_access.organisation_ids
    if on_behalf and not note:
        errors["note"] = "Say how the organisation gave this status (a call, an e-mail)."
    if len(note) > STATEMENT_MAX_LENGTH:
        errors["note"] = f"At most {STATEMENT_MAX_LENGTH} characters."
    if "status" not in errors:
        try:
            check_justification(status, justification)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The vulnerability's row serialises the first answer of two at once.
        Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
        row = (
            VendorStatus.objects.select_for_update()
            .filter(vulnerability=vulnerability, organisation=organisation)
            .first()
        )
        if row is not None:
            if expected_version is None:
                raise ValidationError(
                    {"version": "Send the version of the status you changed (it exists already)."}
                )
            if row.version != expected_version:
                raise StaleEdit(StaleEdit.message)
        values: dict[str, Any] = {
            "status": status,
            "justification": justification,
            "statement": statement,
            "public": public,
            "product": product,
        }
        if row is not None and all(getattr(row, k) == v for k, v in values.items()):
            return row  # nothing changed: no new history
        now = timezone.now()
        if row is None:
            row = VendorStatus(vulnerability=vulnerability, organisation=organisation)
        else:
            row.version += 1
        for key, value in values.items():
            setattr(row, key, value)
        row.set_by, row.set_at, row.on_behalf, row.note = actor, now, on_behalf, note
        row.full_clean(exclude=["vulnerability", "organisation", "set_by"], validate_unique=False)
        row.save()
        case.log(
            actor,
            "case.vendor_status.set",
            {
                "vulnerability_id": vulnerability.pk,
                "organisation_id": organisation.pk,
                "organisation": organisation.name,
                "status": status,
                "justification": justification,
                "public": public,
                "on_behalf": on_behalf,
                "version": row.version,
            },
        )
        case.touch()
        events.emit(
            "vendor_status.given",
            case_id=case.pk,
            vulnerability_id=vulnerability.pk,
            organisation_id=organisation.pk,
            actor_id=actor.pk,
        )
    return row


def remind_vendor(
    case: Case, actor: User, organisation: Organisation, *, now: dt.datetime | None = None
) -> bool:
    """Remind ``organisation`` to give its missing statuses (a notification to its
    members and webhooks). Once a day per organisation and case: a second click the
    same day (UTC) changes nothing and returns ``False``. Coordinators only."""
    case_access = access.require_on(actor, case, "manage_case")
    if not access.can_remind_vendor(case_access):
        raise PermissionDenied("Only coordinators remind vendors.")
    if organisation.pk not in access.vendor_organisation_ids(case_access):
        raise ValidationError(
            {"organisation": "This organisation is not asked for a vendor status on this case."}
        )
    missing = missing_vulnerability_ids(case, organisation)
    if not missing:
        raise ValidationError(
            {"organisation": f"{organisation.name} has given its status on every vulnerability."}
        )
    now = now or timezone.now()
    start_of_day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        # The case row serialises two clicks at once: the second sees the first's entry.
        Case.objects.select_for_update().get(pk=case.pk)
        if TimelineEntry.objects.filter(
            case=case,
            action=REMINDED,
            data__organisation_id=organisation.pk,
            created_at__gte=start_of_day,
        ).exists():
            return False
        case.log(
            actor,
            "case.vendor_status.reminded",
            {
                "organisation_id": organisation.pk,
                "organisation": organisation.name,
                "vulnerability_ids": missing,
            },
        )
        events.emit(
            "vendor_status.reminded",
            case_id=case.pk,
            organisation_id=organisation.pk,
            actor_id=actor.pk,
        )
    return True


# --------------------------------------------------------------------------- reading


def missing_vulnerability_ids(case: Case, organisation: Organisation) -> list[int]:
    answered = VendorStatus.objects.filter(vulnerability=OuterRef("pk"), organisation=organisation)
    return list(
        case.vulnerabilities.filter(~Exists(answered))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )


@dataclass
class Cell:
    vulnerability: Vulnerability
    status: VendorStatus | None
    # Who set it, the note and a private statement (``may_read_vendor_status_details``).
    details: bool = False


@dataclass
class VendorRow:
    organisation: Organisation
    cells: list[Cell]
    since: dt.datetime | None = None
    can_set: bool = False
    last_reminded: dt.datetime | None = None

    @property
    def missing(self) -> int:
        return sum(1 for c in self.cells if c.status is None)


@dataclass
class VendorPanel:
    """The "Vendor status" panel of the case page, as one viewer may see it."""

    vulnerabilities: list[Vulnerability]
    # Coordinators: every vendor; a vendor's members: their organisation(s).
    rows: list[VendorRow] = field(default_factory=list)
    # Other organisations' statuses this viewer may read (public ones, once published).
    published: list[VendorStatus] = field(default_factory=list)
    is_coordinator: bool = False
    can_remind: bool = False

    @property
    def missing(self) -> int:
        return sum(r.missing for r in self.rows)

    @property
    def shown(self) -> bool:
        return bool(self.rows or self.published)


def vendor_panel(case_access: CaseAccess) -> VendorPanel:
    """The matrix vulnerability x organisation for coordinators (with who has not
    answered and when each was last reminded), one's own organisation's row for a
    vendor's members, the published public statements for everyone in the case."""
    vulnerabilities = list(case_access.case.vulnerabilities.order_by("created_at", "pk"))
    titles = case_access.vulnerability_titles()
    for v in vulnerabilities:
        v.shown_title = titles.get(v.pk, "")  # type: ignore[attr-defined]  # for the panel
    panel = VendorPanel(
        vulnerabilities=vulnerabilities,
        is_coordinator=case_access.can("manage_case"),
        can_remind=access.can_remind_vendor(case_access),
    )
    visible = list(access.visible_vendor_statuses(case_access))
    by_cell = {(s.vulnerability_id, s.organisation_id): s for s in visible}
    organisations = list(access.settable_organisations(case_access))
    reminded: dict[int, dt.datetime] = {}
    if panel.can_remind:
        for data, at in TimelineEntry.objects.filter(
            case=case_access.case, action=REMINDED
        ).values_list("data", "created_at"):
            org_id = data.get("organisation_id") if isinstance(data, dict) else None
            if org_id is not None:
                reminded[org_id] = max(at, reminded.get(org_id, at))
    shown_orgs = set()
    for org in organisations:
        shown_orgs.add(org.pk)
        panel.rows.append(
            VendorRow(
                organisation=org,
                since=getattr(org, "since", None),
                can_set=True,
                last_reminded=reminded.get(org.pk),
                cells=[
                    Cell(
                        v,
                        by_cell.get((v.pk, org.pk)),
                        details=True,
                    )
                    for v in vulnerabilities
                ],
            )
        )
    panel.published = [s for s in visible if s.organisation_id not in shown_orgs]
    return panel


def missing_vendor_statuses(user: AnyUser) -> models.QuerySet[Participant]:
    """For the SIRT's work queue: vendors (their first vendor participant row, with
    ``case`` and ``organisation``) that have not given a status on at least one
    vulnerability of an open case this user sees, oldest invitation first. The SIRT
    sees every such row; anyone else none (chasing vendors is the coordinators' job)."""
    if not access.is_sirt(user):
        return Participant.objects.none()
    cases = Case.objects.visible_to(user).filter(state__in=OPEN_STATES)
    return access.missing_vendor_status_rows(cases)


@dataclass(frozen=True)
class DueReminder:
    case_id: int
    vulnerability_id: int
    organisation_id: int
    due_at: dt.datetime


def vendor_reminders_due(
    now: dt.datetime, *, catch_up: dt.timedelta, limit: int
) -> list[DueReminder]:
    """For the notification sweep (a system caller): each (vulnerability, vendor) of an
    open case without a status ``VENDOR_STATUS_REMINDER_DAYS`` after the later of the
    vendor joining the case and the vulnerability being added, looking back
    ``catch_up`` further (what a late sweep still sends). Reads only rows whose
    clock falls in that window (the indexed ``invited_at`` and ``created_at``)."""
    after = dt.timedelta(days=settings.VENDOR_STATUS_REMINDER_DAYS)
    upper, lower = now - after, now - after - catch_up
    vendors = access.vendor_participations(Case.objects.filter(state__in=OPEN_STATES).values("pk"))
    joined = vendors.filter(invited_at__gt=lower, invited_at__lte=upper)
    added = Vulnerability.objects.filter(
        created_at__gt=lower, created_at__lte=upper, case__state__in=OPEN_STATES
    )
    case_ids = set(joined.values_list("case_id", flat=True)[:limit]) | set(
        added.values_list("case_id", flat=True)[:limit]
    )
    if not case_ids:
        return []
    # case -> organisation -> when it first joined the case in a vendor role
    since: dict[int, dict[int, dt.datetime]] = {}
    for case_id, org_id, invited_at in vendors.filter(case_id__in=case_ids).values_list(
        "case_id", "organisation_id", "invited_at"
    ):
        orgs = since.setdefault(case_id, {})
        orgs[org_id] = min(invited_at, orgs.get(org_id, invited_at))
    answered = set(
        VendorStatus.objects.filter(vulnerability__case_id__in=case_ids).values_list(
            "vulnerability_id", "organisation_id"
        )
    )
    due: list[DueReminder] = []
    for vuln_id, case_id, created_at in Vulnerability.objects.filter(
        case_id__in=case_ids
    ).values_list("pk", "case_id", "created_at"):
        for org_id, joined_at in since.get(case_id, {}).items():
            if (vuln_id, org_id) in answered:
                continue
            due_at = max(joined_at, created_at) + after
            if lower + after < due_at <= now:
                due.append(DueReminder(case_id, vuln_id, org_id, due_at))
    due.sort(key=lambda d: (d.due_at, d.case_id, d.organisation_id, d.vulnerability_id))
    return due[:limit]
