"""Field-level visibility: what a viewer may read inside a case they see.

Decided here once: the case page, its panels, the advisory draft and the API
serializers all ask these methods and never decide again
(tests/test_differential_visibility.py holds them to it). ``FieldVisibility`` is mixed
into ``CaseAccess``; ``with_shown_titles`` answers the same question for a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import CharField, F, Prefetch, Q, Value, When

from cases.access.core import is_sirt, participant_rows_q
from cases.access.roles import ROLE_ACTIONS, Role
from cases.models import Case, CaseQuerySet, Credit, Membership, Participant, Report
from cases.types import AnyUser

# Shown instead of a title that is still a report's wording, to viewers who may not
# read that report (``CaseAccess.may_read_wording_of``).
CASE_TITLE_UNDER_REVIEW = "Title under review"
VULNERABILITY_TITLE_UNDER_REVIEW = "Vulnerability (wording under review)"


@dataclass(frozen=True)
class AccessRow:
    """A participant of the need-to-know panel; ``members``: (name, active) of its
    organisation's people, ``None`` for a single person."""

    participant: Participant
    members: list[tuple[str, bool]] | None


class FieldVisibility:
    """The field-level half of ``CaseAccess`` (which holds the attributes below)."""

    user: AnyUser
    case: Case
    roles: frozenset[str]
    # report id -> whether the user wrote it (``may_read_wording_of``)
    _own_reports: dict[int, bool]

    def can(self, action: str) -> bool:
        raise NotImplementedError  # CaseAccess.can

    @property
    def can_see_reporters(self) -> bool:
        """Reporter identities, their reports' titles, files and credits."""
        return self.can("view_reporters")

    def visible_participant_rows(
        self, queryset: models.QuerySet, field: str = "participant"
    ) -> models.QuerySet:
        """Rows that name the participant they belong to (``field``), such as answers
        to an embargo proposal: as ``participants()``, another reporter's are left out."""
        if self.can_see_reporters:
            return queryset
        own = participant_rows_q(self.user, prefix=f"{field}__")
        return queryset.exclude(Q(**{f"{field}__role": Role.REPORTER}) & ~own)

    def visible_credits(self) -> models.QuerySet[Credit]:
        """Credits this user may read: every one with ``view_reporters``, otherwise only
        their own. A credit names who found the flaw, usually a reporter, and reporters
        never learn of each other (nor do partners and downstream learn of reporters)."""
        qs = Credit.objects.filter(vulnerability__case=self.case).select_related("user")
        if self.can_see_reporters:
            return qs
        user = self.user
        if not user.is_authenticated:
            return qs.none()
        return qs.filter(user=user)

    def vulnerabilities(self) -> models.QuerySet:
        """The case's vulnerabilities with their affected packages and, in the list
        ``visible_credits`` of each, the credits ``visible_credits()`` allows: read
        credits from there (``vuln.credits`` would be all of them)."""
        return self.case.vulnerabilities.prefetch_related(
            "affected",
            Prefetch("credits", queryset=self.visible_credits(), to_attr="visible_credits"),
        )

    def may_read_wording_of(self, report_id: int | None) -> bool:
        """Whether a title copied from report ``report_id`` may be shown as it is.

        ``None`` (reviewed or rewritten by a coordinator or maintainer): yes. Until
        then only to those who may read that report's title in the case, the SIRT and
        maintainers (``view_reporters``), and to the report's author: another reporter
        of the same flaw must not read the first reporter's words.
        """
        if report_id is None or self.can_see_reporters:
            return True
        user = self.user
        if not user.is_authenticated:
            return False
        if report_id not in self._own_reports:
            self._own_reports[report_id] = Report.objects.filter(
                pk=report_id, reporter=user
            ).exists()
        return self._own_reports[report_id]

    @property
    def case_title(self) -> str:
        """The case's title as this user may read it (web, API, advisory drafts)."""
        if self.may_read_wording_of(self.case.title_from_report_id):
            return self.case.title
        return CASE_TITLE_UNDER_REVIEW

    def vulnerability_title(self, vulnerability: Any) -> str:
        """A vulnerability's title as this user may read it."""
        if self.may_read_wording_of(vulnerability.title_from_report_id):
            return vulnerability.title
        return VULNERABILITY_TITLE_UNDER_REVIEW

    def vulnerability_titles(self) -> dict[int, str]:
        """``{vulnerability id: title as this user may read it}`` for the whole case
        (for texts built from the case, such as the advisory draft)."""
        rows = self.case.vulnerabilities.only("pk", "case", "title", "title_from_report")
        return {v.pk: self.vulnerability_title(v) for v in rows}

    def access_panel(self) -> list[AccessRow]:
        """The need-to-know panel: every active participant with the members of its
        organisation (name, whether active), in two queries as plain rows (a
        200-organisation case lists ~2,000 members); empty without ``view_access_log``."""
        if not self.can("view_access_log"):
            return []
        participants = list(self.case.participants.active().select_related("organisation", "user"))
        members: dict[int, list[tuple[str, bool]]] = {}
        org_ids = {p.organisation_id for p in participants if p.organisation_id}
        for org_id, username, first, last, active in (
            Membership.objects.filter(organisation_id__in=org_ids)
            .order_by("user__username")
            .values_list(
                "organisation_id",
                "user__username",
                "user__first_name",
                "user__last_name",
                "user__is_active",
            )
        ):
            members.setdefault(org_id, []).append((f"{first} {last}".strip() or username, active))
        return [
            AccessRow(
                p,
                members.get(p.organisation_id, []) if p.organisation_id else None,
            )
            for p in participants
        ]

    def access_records(self) -> models.QuerySet:
        """Who looked at the embargoed case, newest first; empty without ``view_access_log``."""
        if not self.can("view_access_log"):
            return self.case.access_records.none()
        return self.case.access_records.select_related("user")


def with_shown_titles(user: AnyUser, cases: Iterable[Case]) -> list[Case]:
    """The cases (visible to ``user``), each with ``shown_title``: the title exactly as
    ``CaseAccess.case_title`` decides it, for a whole list in at most one query (the
    rule is ``readable_title_q``, the same that search uses)."""
    cases = list(cases)
    for case in cases:
        case.shown_title = case.title  # type: ignore[attr-defined]  # for lists only
    pending = [c for c in cases if c.title_from_report_id is not None]
    condition = readable_title_q(user)
    if not pending or condition is None:
        return cases
    readable = set(
        Case.objects.filter(pk__in=[c.pk for c in pending])
        .filter(condition)
        .values_list("pk", flat=True)
    )
    for case in pending:
        if case.pk not in readable:
            case.shown_title = CASE_TITLE_UNDER_REVIEW  # type: ignore[attr-defined]
    return cases


def readable_title_q(user: AnyUser) -> Q | None:
    """The cases whose title ``user`` may read as it is (``CaseAccess.case_title``), as
    a condition on case rows; ``None`` when every title is readable (the SIRT).

    Search matches a title only where this holds: otherwise a probe with words of a
    title still in another reporter's wording would confirm them by the cases it finds.
    """
    if is_sirt(user):
        return None
    readable = Q(title_from_report__isnull=True)
    if not user.is_authenticated:
        return readable
    reader_roles = [role for role, actions in ROLE_ACTIONS.items() if "view_reporters" in actions]
    readers = (
        Participant.objects.active()
        .filter(participant_rows_q(user), role__in=reader_roles)
        .values("case_id")
    )
    return readable | Q(title_from_report__reporter=user) | Q(pk__in=readers)


def with_searchable_title(cases: CaseQuerySet, user: AnyUser) -> CaseQuerySet:
    """``cases`` annotated with ``searchable_title``: the title where ``user`` may read it
    (``readable_title_q``), empty elsewhere. Web and API search match this, never
    ``title``."""
    condition = readable_title_q(user)
    if condition is None:
        return cases.annotate(searchable_title=F("title"))
    return cases.annotate(
        searchable_title=SqlCase(
            When(condition, then=F("title")), default=Value(""), output_field=CharField()
        )
    )
