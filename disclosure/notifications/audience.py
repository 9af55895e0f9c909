"""Who may hear about a case: the recipients of a kind, resolved for many cases at once.

Visibility follows ``cases.access`` exactly (SIRT sees every case; anybody else sees
a case through a ``view_case`` grant to themselves or their organisation's group),
but for a batch of cases in a fixed number of queries, so a sweep of 500 due
deadlines costs the same handful of queries as one. Role-based audiences read
``cases.access.ROLE_ACTIONS``. ``tests/disclosure/notifications/test_audience.py``
checks the result against ``cases.access.access_for`` for every persona.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import BooleanField, F, Func, Q

from cases import access
from cases.models import (
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Membership,
    Organisation,
    Participant,
    ParticipantRole,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


class _AnyId(Func):
    """``<column> = ANY(<one bigint[] parameter>)``: what ``<column> IN (...)`` means to
    PostgreSQL, without one placeholder per id (thousands of them cost more Python, in
    Django's lookups and psycopg's query splitting, than the query itself)."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: Iterable[int]) -> None:
        super().__init__(F(field))
        self.array = "{" + ",".join(str(int(i)) for i in ids) + "}"

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s::bigint[])", (*params, self.array)


def id_in(field: str, ids: Iterable[int]) -> Q:
    """A filter for ``field__in=ids`` that stays cheap with thousands of ids."""
    if connection.vendor == "postgresql":
        return Q(_AnyId(field, ids))
    return Q(**{f"{field}__in": list(ids)})


@dataclass
class CaseAudience:
    case_id: int
    viewers: set[int] = field(default_factory=set)  # user ids who can see the case
    # user id -> roles on the case (only viewers; SIRT members without a row: none)
    roles: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    participant_users: dict[int, set[int]] = field(default_factory=dict)
    participant_orgs: dict[int, int] = field(default_factory=dict)  # participant -> org
    org_roles: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    org_members: dict[int, set[int]] = field(default_factory=dict)
    visible_orgs: set[int] = field(default_factory=set)  # orgs whose group sees the case
    sirt: set[int] = field(default_factory=set)

    def with_action(self, action: str) -> set[int]:
        """Participants' users whose roles allow ``action``, plus the coordinators."""
        users = {
            uid
            for uid, roles in self.roles.items()
            if any(action in access.ROLE_ACTIONS[r] for r in roles)
        }
        return (users | self.coordinators) & self.viewers

    @property
    def coordinators(self) -> set[int]:
        """The case's coordinators; every SIRT member when none is named."""
        named = {
            uid for uid, roles in self.roles.items() if ParticipantRole.COORDINATOR in roles
        } & self.viewers
        return named or set(self.sirt)

    @property
    def participants(self) -> set[int]:
        return (set(self.roles) & self.viewers) | self.coordinators

    def organisation(self, org_id: int) -> set[int]:
        return self.org_members.get(org_id, set()) & self.viewers

    def participant(self, participant_id: int) -> set[int]:
        return self.participant_users.get(participant_id, set()) & self.viewers

    def orgs_with_action(self, action: str) -> set[int]:
        return {
            org
            for org, roles in self.org_roles.items()
            if org in self.visible_orgs and any(action in access.ROLE_ACTIONS[r] for r in roles)
        }


def sirt_user_ids() -> set[int]:
    return set(
        get_user_model()
        .objects.filter(is_active=True, memberships__organisation__kind=Organisation.Kind.SIRT)
        .values_list("pk", flat=True)
    )


def sirt_organisation_ids() -> set[int]:
    return set(
        Organisation.objects.filter(kind=Organisation.Kind.SIRT).values_list("pk", flat=True)
    )


def audiences(case_ids: Iterable[int]) -> dict[int, CaseAudience]:
    """The audience of each case, in six queries whatever the number of cases."""
    case_ids = set(case_ids)
    if not case_ids:
        return {}
    sirt = sirt_user_ids()
    sirt_orgs = sirt_organisation_ids()
    result = {cid: CaseAudience(case_id=cid, sirt=sirt, viewers=set(sirt)) for cid in case_ids}
    participants = list(
        Participant.objects.active()
        .filter(id_in("case_id", case_ids))
        .values_list("pk", "case_id", "organisation_id", "user_id", "role")
    )
    org_ids = {p[2] for p in participants if p[2]} | sirt_orgs
    members: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id in Membership.objects.filter(
        id_in("organisation_id", org_ids), user__is_active=True
    ).values_list("organisation_id", "user_id"):
        members[org_id].add(user_id)
    group_to_org = dict(
        Organisation.objects.filter(id_in("pk", org_ids)).values_list("group_id", "pk")
    )
    # The cases' grants, whatever the group or user (by the index on the case), keeping
    # those of the organisations and active users above: a filter on the groups or
    # users in SQL chose their index and read all their grants on every case.
    view_case = Permission.objects.filter(
        codename="view_case", content_type__app_label="cases"
    ).values("pk")
    grants = CaseGroupObjectPermission.objects.filter(
        id_in("content_object_id", case_ids), permission_id__in=view_case
    ).values_list("content_object_id", "group_id")
    for case_id, group_id in grants:
        granted = group_to_org.get(group_id)
        if granted is None:
            continue
        result[case_id].visible_orgs.add(granted)
        result[case_id].viewers |= members[granted]
    active_users = set(
        get_user_model()
        .objects.filter(id_in("pk", {p[3] for p in participants if p[3]}), is_active=True)
        .values_list("pk", flat=True)
    )
    for case_id, user_id in CaseUserObjectPermission.objects.filter(
        id_in("content_object_id", case_ids), permission_id__in=view_case
    ).values_list("content_object_id", "user_id"):
        if user_id in active_users:
            result[case_id].viewers.add(user_id)
    for pk, case_id, org_id, user_id, role in participants:
        aud = result[case_id]
        users = set(members[org_id]) if org_id else ({user_id} & active_users)
        aud.participant_users[pk] = users
        if org_id:
            aud.participant_orgs[pk] = org_id
            aud.org_roles[org_id].add(role)
        for uid in users & aud.viewers:
            aud.roles[uid].add(role)
    # One mapping for every case (read only: ``organisation()`` intersects, never changes
    # it); a copy per case cost O(cases x organisations) for a sweep of 500 cases.
    org_members = dict(members)
    for aud in result.values():
        aud.org_members = org_members
        # SIRT organisations see every case, like their members.
        aud.visible_orgs |= sirt_orgs
        for org in sirt_orgs:
            aud.org_roles[org].add(ParticipantRole.COORDINATOR)
    return result
