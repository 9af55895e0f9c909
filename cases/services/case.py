"""The case's own changes made on behalf of a person: its life cycle
(``transition_case``), its details, its projects, the review of copied wording; and the
record of who looked at an embargoed case."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases import access
from cases.models import (
    Case,
    CaseAccessRecord,
    Participant,
    Project,
    Vulnerability,
)
from cases.types import User


def transition_case(case: Case, actor: User, name: str, *, reason: str = "") -> Case:
    """Move the case along its life cycle for a coordinator (``Case.transition``);
    returns the refreshed case."""
    access.require_on(actor, case, "manage_case")
    return case.transition(name, actor, reason=reason)


def edit_case_details(
    case: Case, actor: User, *, expected_version: int, title: str, summary: str
) -> Case:
    """Change the title and summary for a coordinator (``Case.update_details``)."""
    access.require_on(actor, case, "manage_case")
    return case.update_details(
        actor, expected_version=expected_version, title=title, summary=summary
    )


def add_project(case: Case, actor: User, project: Project) -> None:
    """Add a project to the case (coordinators)."""
    access.require_on(actor, case, "manage_case")
    _add_project(case, actor, project)


def _add_project(case: Case, actor: User, project: Project) -> None:
    with transaction.atomic():
        case.projects.add(project)
        case.log(actor, "case.project.added", {"project": project.name})


def remove_project(case: Case, actor: User, project: Project) -> None:
    """Take a project off the case (a triage mistake, or the flaw is not in it after all)."""
    access.require_on(actor, case, "manage_case")
    with transaction.atomic():
        # Lock the case row: two coordinators editing the projects at once serialise here.
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.projects.filter(pk=project.pk).exists():
            raise ValidationError({"project": f"{project.name} is not a project of this case."})
        case.projects.remove(project)
        case.log(actor, "case.project.removed", {"project": project.name})
        case.touch()


def mark_wording_reviewed(
    case: Case, actor: User, *, vulnerability: Vulnerability | None = None
) -> None:
    """A coordinator (case title) or a maintainer (a vulnerability's title) confirms
    that a title copied from a report may be read by every participant as it is.

    Until then ``cases.access`` shows it only to those who may read the report itself.
    Rewriting the title (``save_vulnerability``, ``Case.update_details``) has the same
    effect. Timeline ``case.wording.reviewed``, with ids only (never the text).
    """
    access.require_on(actor, case, "manage_case" if vulnerability is None else "edit_vulnerability")
    with transaction.atomic():
        if vulnerability is None:
            row: Case | Vulnerability = Case.objects.select_for_update().get(pk=case.pk)
            data: dict[str, Any] = {"field": "title"}
        else:
            row = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk, case=case)
            data = {"vulnerability": row.pk}
        if row.title_from_report_id is None:
            return
        row.title_from_report = None
        row.save(update_fields=["title_from_report"])
        case.log(actor, "case.wording.reviewed", data)
        case.touch()


def record_view(case: Case, user: User, what: str) -> None:
    """Record a look at an embargoed case's details (the need-to-know list).

    Not a change made for the user but the record of a read that ``get_case_for``
    allowed just before; it checks nothing itself."""
    if not case.is_under_embargo:
        return
    CaseAccessRecord.objects.create(case=case, user=user, what=what)
    Participant.objects.active().filter(case=case).filter(access.participant_rows_q(user)).update(
        last_seen_at=timezone.now()
    )
