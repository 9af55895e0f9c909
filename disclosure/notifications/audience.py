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

from django.contrib.auth import get_user_model

from cases import access
from cases.models import (
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Membership,
    Organisation,
    Participant,
    ParticipantRole,
)


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
        .filter(case_id__in=case_ids)
        .values_list("pk", "case_id", "organisation_id", "user_id", "role")
    )
    org_ids = {p[2] for p in participants if p[2]} | sirt_orgs
    members: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id in Membership.objects.filter(
        organisation_id__in=org_ids, user__is_active=True
    ).values_list("organisation_id", "user_id"):
        members[org_id].add(user_id)
    group_to_org = dict(Organisation.objects.filter(pk__in=org_ids).values_list("group_id", "pk"))
    grants = CaseGroupObjectPermission.objects.filter(
        content_object_id__in=case_ids,
        permission__codename="view_case",
        permission__content_type__app_label="cases",
        group_id__in=list(group_to_org),
    ).values_list("content_object_id", "group_id")
    for case_id, group_id in grants:
        org_id = group_to_org[group_id]
        result[case_id].visible_orgs.add(org_id)
        result[case_id].viewers |= members[org_id]
    active_users = set(
        get_user_model()
        .objects.filter(is_active=True, pk__in=[p[3] for p in participants if p[3]])
        .values_list("pk", flat=True)
    )
    for case_id, user_id in CaseUserObjectPermission.objects.filter(
        content_object_id__in=case_ids,
        permission__codename="view_case",
        permission__content_type__app_label="cases",
        user_id__in=active_users,
    ).values_list("content_object_id", "user_id"):
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
    for aud in result.values():
        aud.org_members = {org: set(m) for org, m in members.items()}
        # SIRT organisations see every case, like their members.
        aud.visible_orgs |= sirt_orgs
        for org in sirt_orgs:
            aud.org_roles[org].add(ParticipantRole.COORDINATOR)
    return result
