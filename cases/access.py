"""The one place that decides who sees and does what.

Rules, as one table (role x action), mirrored in ``cases/README.md`` and read by the
tests. SIRT members act as coordinators on every case. Everybody else gets rights on
a case only through an active participant row (their organisation's, or their own),
written down as guardian object permissions in the same transaction that creates or
removes the participant.

- ``Case.objects.visible_to(user)`` / ``filter_visible`` for every list, search,
  count, feed and export.
- ``get_case_for(user, reference, action)`` for every detail view: ``Http404`` when
  the user may not see the case (exactly like a missing one), ``PermissionDenied``
  when they may see it but not do ``action``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.http import Http404

from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Comment,
    CommentVisibility,
    Organisation,
    Participant,
    ParticipantRole,
    Report,
)

Role = ParticipantRole

# Actions a role may take on a case. Each action is also a guardian permission
# codename on Case, except the coordinator-only ones (SIRT is never a grant).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset(
        {
            "view_case",
            "comment_case",
            "respond_case",
            "edit_vulnerability",
            "upload_case",
            "view_reporters",
            "propose_embargo",
            "update_release",
            "report_deployment",
            "view_advisory_draft",
            # coordinator only, never granted through participation:
            "manage_case",
            "view_internal",
            "view_access_log",
        }
    ),
    Role.MAINTAINER: frozenset(
        {
            "view_case",
            "comment_case",
            "respond_case",
            "edit_vulnerability",
            "upload_case",
            "view_reporters",
            "propose_embargo",
            "update_release",
            "view_advisory_draft",
        }
    ),
    Role.REPORTER: frozenset({"view_case", "comment_case", "upload_case"}),
    Role.PARTNER: frozenset(
        {"view_case", "comment_case", "report_deployment", "view_advisory_draft"}
    ),
    Role.DOWNSTREAM: frozenset(
        {"view_case", "comment_case", "report_deployment", "view_advisory_draft"}
    ),
}
COORDINATOR_ONLY = frozenset({"manage_case", "view_internal", "view_access_log"})
GRANTABLE = frozenset().union(*ROLE_ACTIONS.values()) - COORDINATOR_ONLY
ALL_ACTIONS = frozenset().union(*ROLE_ACTIONS.values())


def is_sirt(user: Any) -> bool:
    """SIRT coordinators: active members of a SIRT organisation."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_akrites_is_sirt", None)
    if cached is None:
        cached = user.memberships.filter(organisation__kind=Organisation.Kind.SIRT).exists()
        user._akrites_is_sirt = cached
    return cached


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="cases", codename=codename)


def filter_visible(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    """Restrict a Case queryset to what ``user`` may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_sirt(user):
        return queryset
    granted = RawSQL(_granted_case_ids_sql(), [user.pk, user.pk])  # noqa: S611 - bound params
    return queryset.filter(pk__in=granted)


@functools.cache
def _granted_case_ids_sql() -> str:
    """The ids of the cases a user holds ``view_case`` on, directly or through a group.

    One IN over a UNION, not two INs joined by OR: with OR, PostgreSQL checks every
    case row against both lists, so the cost grows with all cases in the portal; with
    the union it fetches the granted cases by primary key, so the cost grows with
    what the user can see. The permission is a scalar subquery, evaluated once. The
    same query built with the ORM (two querysets, a Subquery and a union) cost 1.5 ms
    of Python per use, and a page uses it several times (bench/README.md). Plain SQL
    that SQLite runs as well; table names come from the models, parameters are the
    user's id twice.
    """
    # Table names come from the models; the user's id is a bound parameter.
    view_case = (
        f"(SELECT p.id FROM {Permission._meta.db_table} p"  # noqa: S608
        f" JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id"
        " WHERE p.codename = 'view_case' AND ct.app_label = 'cases')"
    )
    user_table = CaseUserObjectPermission._meta.db_table
    group_table = CaseGroupObjectPermission._meta.db_table
    memberships = get_user_model().groups.through._meta.db_table
    return (
        f"SELECT u.content_object_id FROM {user_table} u"  # noqa: S608
        f" WHERE u.user_id = %s AND u.permission_id = {view_case}"
        f" UNION SELECT g.content_object_id FROM {group_table} g"
        f" JOIN {memberships} m ON m.group_id = g.group_id"
        f" WHERE m.user_id = %s AND g.permission_id = {view_case}"
    )


def visible_cases(user: Any) -> models.QuerySet:
    return filter_visible(Case.objects.all(), user)


@dataclass
class CaseAccess:
    """What one user may do on one case, and through which roles."""

    user: Any
    case: Case
    roles: frozenset[str] = field(default_factory=frozenset)

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
            .filter(case=self.case, organisation__members=self.user)
            .values_list("organisation_id", flat=True)
        )

    def participants(self) -> models.QuerySet:
        """Participants this user may see: reporters never see other reporters."""
        qs = self.case.participants.active().select_related("organisation", "user")
        if not self.can("view_reporters"):
            qs = qs.exclude(Q(role=Role.REPORTER) & ~self._own_participant_q())
        return qs

    def _own_participant_q(self) -> Q:
        return Q(user=self.user) | Q(organisation__in=list(self.organisation_ids))

    def comments(self) -> models.QuerySet:
        return filter_comments(self.case.comments.all(), self)

    def reports(self) -> models.QuerySet:
        qs = self.case.reports.all()
        if not self.can("view_reporters"):
            qs = qs.filter(reporter=self.user)
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


def _by_other_reporter_q(field: str, viewer: Any) -> Q:
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
    queryset: models.QuerySet, access: CaseAccess | None, user: Any = None
) -> models.QuerySet:
    """Timeline entries ``access`` may read; ``None`` means the cautious cross-case view
    of ``user`` (the inbox), which hides reporters from everyone but the SIRT."""
    if access is not None and access.can("view_internal"):
        return queryset
    queryset = queryset.exclude(_internal_entries_q())
    if access is None or not access.can("view_reporters"):
        viewer = access.user if access is not None else user
        queryset = queryset.exclude(_reporter_entries_q()).exclude(
            _by_other_reporter_q("actor", viewer)
        )
    return queryset


def comment_visible_to(comment: Comment, user: Any) -> bool:
    access = access_for(user, comment.case)
    return (
        access.can_view and filter_comments(Comment.objects.filter(pk=comment.pk), access).exists()
    )


def roles_for(user: Any, case: Case) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if is_sirt(user):
        return frozenset({Role.COORDINATOR})
    roles = (
        Participant.objects.active()
        .filter(case=case)
        .filter(Q(user=user) | Q(organisation__group__user=user))
        .values_list("role", flat=True)
    )
    granted = set(roles)
    # Grants are the source of truth for visibility: without view_case, no roles.
    if granted and not filter_visible(Case.objects.filter(pk=case.pk), user).exists():
        return frozenset()
    return frozenset(granted)


def access_for(user: Any, case: Case) -> CaseAccess:
    return CaseAccess(user=user, case=case, roles=roles_for(user, case))


def get_case_for(user: Any, reference: str, action: str = "view_case") -> tuple[Case, CaseAccess]:
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


def visible_reports(user: Any) -> models.QuerySet:
    """SIRT sees every report; anyone else only the reports they submitted."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Report.objects.none()
    if is_sirt(user):
        return Report.objects.all()
    return Report.objects.filter(reporter=user)


def can_act(user: Any, case: Case, action: str) -> bool:
    return access_for(user, case).can(action)


def require(access: CaseAccess, action: str) -> None:
    if not access.can(action):
        raise PermissionDenied("You cannot do this on this case.")


# --------------------------------------------------------------------------- grants


def sync_grants(case: Case, *, organisation: Organisation | None = None, user: Any = None) -> None:
    """Rewrite guardian grants of one organisation (or user) on one case from its active roles.

    Called inside the transaction that adds or removes the participant.
    """
    assert (organisation is None) != (user is None)
    with transaction.atomic():
        participants = Participant.objects.active().filter(case=case)
        if organisation is not None:
            roles = participants.filter(organisation=organisation).values_list("role", flat=True)
        else:
            roles = participants.filter(user=user).values_list("role", flat=True)
        wanted: set[str] = set()
        for role in set(roles):
            wanted |= ROLE_ACTIONS[role] - COORDINATOR_ONLY
        perms = {
            p.codename: p
            for p in Permission.objects.filter(
                content_type__app_label="cases", codename__in=GRANTABLE
            )
        }
        if organisation is not None:
            table, owner = CaseGroupObjectPermission, {"group": organisation.group}
        else:
            table, owner = CaseUserObjectPermission, {"user": user}
        existing = set(
            table.objects.filter(content_object=case, **owner).values_list(
                "permission__codename", flat=True
            )
        )
        table.objects.filter(
            content_object=case, permission__codename__in=existing - wanted, **owner
        ).delete()
        table.objects.bulk_create(
            [
                table(content_object=case, permission=perms[codename], **owner)
                for codename in wanted - existing
            ]
        )
