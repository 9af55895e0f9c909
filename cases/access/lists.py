"""Lists of cases as plain rows: what the access module decides for each case of a page
(the title as this viewer may read it, their roles), folded into the page's own query.

A page of a case list used to cost the page query, a prefetch of the projects, a query
for the caller's roles and one for the titles they may read, then a model instance per
case and per project (bench/README.md: half of a list's time). ``case_rows`` asks the
same rules (``readable_title_q``, ``participant_rows_q``) inside the one query that
fetches the page, and returns dictionaries (``values()``): on PostgreSQL the projects and
roles come back as arrays of that query; elsewhere (SQLite, the demo) ``complete_rows``
adds them with one query each for the whole page. The caller passes a queryset that is
already ``visible_to(user)``: these helpers only describe rows, they never widen a list.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import CharField, F, Field, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from cases.access.core import is_sirt, participant_rows_q
from cases.access.fields import CASE_TITLE_UNDER_REVIEW
from cases.access.roles import ROLE_ACTIONS, Role
from cases.models import Case, CaseQuerySet, Membership, Participant, Project, Report
from cases.types import AnyUser

# The columns a list shows; ``shown_title`` replaces ``title`` (never read ``title``).
ROW_FIELDS = (
    "pk",
    "reference",
    "shown_title",
    "state",
    "severity",
    "created_at",
    "updated_at",
    "version",
)
# The embargo's state, for the "Embargoed" badge of the web list (a reverse one-to-one
# of the disclosure layer, named by its string: ``cases`` never imports ``disclosure``).
EMBARGO_STATE = "embargo__state"
EMBARGO_ACTIVE = "active"


def _arrays_in_sql() -> bool:
    return connection.vendor == "postgresql"


# The page query runs on every list request: its three columns are SQL written once
# (like ``core._granted_case_ids_sql``), since building them with the ORM cost more
# than running them (a Subquery and a conditional expression: ~3 ms of Python per
# page against ~0.3 ms). Each is the rule of the function named beside it, and
# tests/api/test_api_case_list_rows.py holds them equal for every persona.


def _user_rows_sql(alias: str) -> str:
    """``participant_rows_q``: the participant row ``alias`` stands for the user (their
    own, or one of their organisations'); two parameters, the user's id twice."""
    memberships = Membership._meta.db_table
    return (
        f"({alias}.user_id = %s OR {alias}.organisation_id IN"  # noqa: S608 - model names
        f" (SELECT m.organisation_id FROM {memberships} m WHERE m.user_id = %s))"
    )


@functools.cache
def _shown_title_sql() -> str:
    """``readable_title_q`` as a column: the title, or the placeholder (a parameter).
    Parameters: user, user, user, placeholder."""
    case, reports = Case._meta.db_table, Report._meta.db_table
    participants = Participant._meta.db_table
    readers = ", ".join(f"'{role}'" for role in _reader_roles())
    return (
        f"CASE WHEN {case}.title_from_report_id IS NULL"  # noqa: S608 - model names
        f" OR EXISTS (SELECT 1 FROM {reports} r"
        f" WHERE r.id = {case}.title_from_report_id AND r.reporter_id = %s)"
        f" OR EXISTS (SELECT 1 FROM {participants} p WHERE p.case_id = {case}.id"
        f" AND p.removed_at IS NULL AND p.role IN ({readers}) AND {_user_rows_sql('p')})"
        f" THEN {case}.title ELSE %s END"
    )


@functools.cache
def _roles_sql() -> str:
    """``roles_by_case`` (for a case the user sees) as a sorted array; two parameters."""
    case, participants = Case._meta.db_table, Participant._meta.db_table
    return (
        f"ARRAY(SELECT DISTINCT p.role FROM {participants} p"  # noqa: S608 - model names
        f" WHERE p.case_id = {case}.id AND p.removed_at IS NULL AND {_user_rows_sql('p')}"
        " ORDER BY 1)"
    )


@functools.cache
def _projects_sql(project_field: str) -> str:
    """The case's projects' ``project_field`` by project name (the projects' ordering)."""
    case, through = Case._meta.db_table, Case.projects.through._meta.db_table
    projects = Project._meta.db_table
    field = Project._meta.get_field(project_field)
    assert isinstance(field, Field)  # a column of the project, never a relation
    column = field.column
    return (
        f"ARRAY(SELECT pr.{column} FROM {through} cp"  # noqa: S608 - model names
        f" JOIN {projects} pr ON pr.id = cp.project_id"
        f" WHERE cp.case_id = {case}.id ORDER BY pr.name, pr.id)"
    )


def _reader_roles() -> list[str]:
    return sorted(role for role, actions in ROLE_ACTIONS.items() if "view_reporters" in actions)


def shown_title_expression(user: AnyUser) -> Any:
    """``Case.title`` where ``user`` may read it (``CaseAccess.case_title``), otherwise
    ``CASE_TITLE_UNDER_REVIEW``: the rule of ``readable_title_q`` as a column."""
    if is_sirt(user):
        return F("title")
    if not user.is_authenticated:
        return SqlCase(
            When(title_from_report__isnull=True, then=F("title")),
            default=Value(CASE_TITLE_UNDER_REVIEW),
            output_field=CharField(),
        )
    params = [user.pk, user.pk, user.pk, CASE_TITLE_UNDER_REVIEW]
    return RawSQL(_shown_title_sql(), params, output_field=CharField())  # noqa: S611


def case_rows(
    user: AnyUser,
    cases: CaseQuerySet | QuerySet[Case],
    *,
    project_field: str = "slug",
    extra: Sequence[str] = (),
) -> QuerySet:
    """``cases`` (already restricted to what ``user`` sees) as dictionaries with
    ``ROW_FIELDS``, ``extra`` columns, and on PostgreSQL ``project_list`` (the projects'
    ``project_field``, by name) and ``my_roles`` (sorted) as arrays of the same query.
    Pass the rows of the page to ``complete_rows`` before use."""
    annotations: dict[str, Any] = {"shown_title": shown_title_expression(user)}
    if _arrays_in_sql():
        from django.contrib.postgres.fields import ArrayField

        text_array: ArrayField = ArrayField(CharField())
        annotations["project_list"] = RawSQL(  # noqa: S611 - no parameters
            _projects_sql(project_field), [], output_field=text_array
        )
        if is_sirt(user):
            annotations["my_roles"] = Value([str(Role.COORDINATOR)], output_field=text_array)
        elif not user.is_authenticated:
            annotations["my_roles"] = Value([], output_field=text_array)
        else:
            annotations["my_roles"] = RawSQL(  # noqa: S611 - bound parameters
                _roles_sql(), [user.pk, user.pk], output_field=text_array
            )
    arrays = [name for name in annotations if name != "shown_title"]
    return cases.annotate(**annotations).values(*ROW_FIELDS, *extra, *arrays)


def complete_rows(
    user: AnyUser, rows: Sequence[dict[str, Any]], *, project_field: str = "slug"
) -> list[dict[str, Any]]:
    """The page's rows with ``project_list`` and ``my_roles``: already there on PostgreSQL;
    elsewhere one query for the projects and one for the roles of the whole page."""
    rows = list(rows)
    if _arrays_in_sql() or not rows:
        return rows
    ids = [row["pk"] for row in rows]
    projects: dict[int, list[str]] = {pk: [] for pk in ids}
    through = Case.projects.through
    for case_id, value in (
        through.objects.filter(case_id__in=ids)
        .order_by("project__name")
        .values_list("case_id", f"project__{project_field}")
    ):
        projects[case_id].append(value)
    roles: dict[int, set[str]] = {pk: set() for pk in ids}
    if is_sirt(user):
        roles = {pk: {str(Role.COORDINATOR)} for pk in ids}
    else:
        for case_id, role in (
            Participant.objects.active()
            .filter(case_id__in=ids)
            .filter(participant_rows_q(user))
            .values_list("case_id", "role")
        ):
            roles[case_id].add(role)
    for row in rows:
        row["project_list"] = projects[row["pk"]]
        row["my_roles"] = sorted(roles[row["pk"]])
    return rows
