"""One user on one case: ``CaseAccess`` (roles, actions, the rows they may read),
``get_case_for`` (404 invisible, 403 not allowed) and ``require``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from cases.access.core import (
    filter_visible,
    member_organisation_ids,
    participant_rows_q,
    roles_for,
)
from cases.access.fields import FieldVisibility
from cases.access.roles import ALL_ACTIONS, ROLE_ACTIONS, Role
from cases.access.vendors import vendor_status_entries_q
from cases.models import Case, Comment, CommentVisibility, Participant
from cases.types import AnyUser


@dataclass
class CaseAccess(FieldVisibility):
    """What one user may do on one case, and through which roles."""

    user: AnyUser
    case: Case
    roles: frozenset[str] = field(default_factory=frozenset)
    # report id -> whether the user wrote it (``may_read_wording_of``)
    _own_reports: dict[int, bool] = field(default_factory=dict, init=False, repr=False)
    # Answers a predicate of a higher layer keeps for this request (``disclosure.access``
    # asks once which participant row a user answers proposals for, the panel many times).
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def actions(self) -> frozenset[str]:
        allowed: set[str] = set()
        for role in self.roles:
            allowed |= ROLE_ACTIONS[role]
        return frozenset(allowed)

    @property
    def can_view(self) -> bool:
        return "view_case" in self.actions

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.roles

    @property
    def is_reporter_only(self) -> bool:
        return self.roles == frozenset({Role.REPORTER})

    def can(self, action: str) -> bool:
        if action not in ALL_ACTIONS:
            raise ValueError(f"Unknown action {action!r}")
        return action in self.actions

    @cached_property
    def organisation_ids(self) -> frozenset[int]:
        """The user's organisations that take part in this case."""
        return frozenset(
            Participant.objects.active()
            .filter(case=self.case, organisation__in=member_organisation_ids(self.user))
            .values_list("organisation_id", flat=True)
        )

    def participants(self) -> models.QuerySet[Participant]:
        """Participants this user may see: reporters never see other reporters."""
        qs = self.case.participants.active().select_related("organisation", "user")
        if not self.can("view_reporters"):
            qs = qs.exclude(Q(role=Role.REPORTER) & ~participant_rows_q(self.user))
        return qs

    def comments(self) -> models.QuerySet[Comment]:
        return filter_comments(self.case.comments.all(), self)

    def reports(self) -> models.QuerySet:
        qs = self.case.reports.all()
        if not self.can("view_reporters"):
            user = self.user
            qs = qs.filter(reporter=user) if user.is_authenticated else qs.none()
        return qs

    def attachments(self) -> models.QuerySet:
        """Attachments this user may list and download: a reporter-only viewer never
        gets files that another reporter sent (they would name or describe them)."""
        qs = self.case.attachments.all()
        if not self.can("view_reporters"):
            others = (
                Participant.objects.filter(case=self.case, role=Role.REPORTER, user__isnull=False)
                .exclude(user=self.user)
                .values("user_id")
            )
            qs = qs.exclude(Q(uploaded_by__in=others) & ~Q(uploaded_by=self.user)).exclude(
                Q(report__isnull=False) & ~Q(report__reporter=self.user)
            )
        return qs

    def timeline(self) -> models.QuerySet:
        return filter_timeline(self.case.timeline.all(), self)


def access_for(user: AnyUser, case: Case) -> CaseAccess:
    return CaseAccess(user=user, case=case, roles=roles_for(user, case))


def get_case_for(
    user: AnyUser, reference: str, action: str = "view_case"
) -> tuple[Case, CaseAccess]:
    """Fetch a case by reference: 404 if invisible, 403 if ``action`` is not allowed."""
    try:
        case = filter_visible(Case.objects.all(), user).get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
    access = access_for(user, case)
    if not access.can_view:
        raise Http404("No such case.")
    if not access.can(action):
        raise PermissionDenied("You cannot do this on this case.")
    return case, access


def can_act(user: AnyUser, case: Case, action: str) -> bool:
    return access_for(user, case).can(action)


def require(access: CaseAccess, action: str) -> None:
    if not access.can(action):
        raise PermissionDenied("You cannot do this on this case.")


def require_on(actor: AnyUser | None, case: Case, action: str) -> CaseAccess:
    """A service's own check: the actor's ``CaseAccess`` on ``case`` if they may do
    ``action``, else ``PermissionDenied`` (also when they cannot see the case: a service
    never tells a caller that skipped ``get_case_for`` whether the case exists)."""
    if actor is None:
        raise PermissionDenied("This change needs a person who may make it.")
    access = access_for(actor, case)
    if not access.can_view:
        raise PermissionDenied("You cannot do this on this case.")
    require(access, action)
    return access


# --------------------------------------------------------------------------- rows


def filter_comments(queryset: models.QuerySet, access: CaseAccess) -> models.QuerySet:
    if access.can("view_internal"):
        return queryset
    queryset = queryset.filter(
        Q(visibility=CommentVisibility.ALL)
        | Q(
            visibility=CommentVisibility.ORGANISATION,
            organisation__in=list(access.organisation_ids),
        )
    )
    if not access.can("view_reporters"):
        # A comment signed by another reporter would name them.
        queryset = queryset.exclude(_by_other_reporter_q("author", access.user))
    return queryset


def _by_other_reporter_q(field: str, viewer: AnyUser | None) -> Q:
    """Rows (comments, timeline entries) written by a reporter of the same case who is
    not ``viewer``: their name alone tells a reader who else reported the flaw."""
    reporters = Participant.objects.filter(
        case=OuterRef("case"), role=Role.REPORTER, user=OuterRef(field)
    )
    q = Q(Exists(reporters))
    if getattr(viewer, "pk", None) is not None:
        q &= ~Q(**{field: viewer})
    return q


# Timeline entries that would tell a reader who else reported the case, or that an
# internal note exists. Hidden from viewers without ``view_reporters`` /
# ``view_internal``; the inbox (several cases at once) hides them from every non-SIRT user.
def _reporter_entries_q() -> Q:
    return Q(action__startswith="case.participant.", data__role=Role.REPORTER) | Q(
        action__in=["case.report.merged", "case.opened", "case.duplicate.merged"]
    )


def _internal_entries_q() -> Q:
    return Q(action="case.comment.posted") & ~Q(data__visibility=CommentVisibility.ALL)


def filter_timeline(
    queryset: models.QuerySet, access: CaseAccess | None, user: AnyUser | None = None
) -> models.QuerySet:
    """Timeline entries ``access`` may read; ``None`` means the cautious cross-case view
    of ``user`` (the inbox), which hides reporters from everyone but the SIRT."""
    if access is not None and access.can("view_internal"):
        return queryset
    queryset = queryset.exclude(_internal_entries_q())
    # Another organisation's vendor status (cases.access.vendors): the SIRT and itself.
    queryset = queryset.exclude(
        vendor_status_entries_q(
            access.user if access is not None else user,
            access.organisation_ids if access is not None else None,
        )
    )
    if access is None or not access.can("view_reporters"):
        viewer = access.user if access is not None else user
        queryset = queryset.exclude(_reporter_entries_q()).exclude(
            _by_other_reporter_q("actor", viewer)
        )
    return queryset


def comment_visible_to(comment: Comment, user: AnyUser) -> bool:
    access = access_for(user, comment.case)
    return (
        access.can_view and filter_comments(Comment.objects.filter(pk=comment.pk), access).exists()
    )
