"""Drift between memberships, groups and guardian grants: find it, and repair it.

What must hold (README, "Membership, groups and grants"):

- nobody is in an organisation's auth group: belonging to an organisation is a
  ``Membership`` row, and the group only holds the organisation's grants;
- the grants of an organisation (its group) or of a person on a case are exactly the
  actions of their active participant roles there (``access.ROLE_ACTIONS``), never a
  coordinator-only action, and nothing once the participation is removed;
- no grant is held by a group that belongs to no organisation.

``find_drift()`` lists every departure in a fixed number of queries (two per
grantable action and kind of owner, whatever the number of cases); ``fix_drift()``
repairs them through ``access.sync_grants``. ``manage.py check_access [--fix]`` and
the ``check --deploy`` system check (``cases/checks.py``) run them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import models, transaction
from django.db.models import Exists, OuterRef

from cases import access
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Organisation,
    Participant,
    ParticipantQuerySet,
)

GROUP_MEMBER = "organisation_group_member"
MISSING = "missing_grant"
EXTRA = "extra_grant"
REMOVED = "removed_participant_grant"
COORDINATOR_ONLY = "coordinator_only_grant"
ORPHAN = "orphan_group_grant"

KINDS = {
    GROUP_MEMBER: "user in an organisation's group (membership is Membership alone)",
    MISSING: "grant missing for an active participant role",
    EXTRA: "grant that no active participant role gives",
    REMOVED: "grant of a participant that was removed from the case",
    COORDINATOR_ONLY: "grant of an action no participation gives (coordinator-only, model)",
    ORPHAN: "grant held by a group that belongs to no organisation",
}


@dataclass(frozen=True)
class Drift:
    kind: str
    case_id: int | None = None
    organisation_id: int | None = None
    user_id: int | None = None
    group_id: int | None = None
    codename: str = ""

    def describe(self, names: dict[str, dict[int, str]]) -> str:
        parts = [KINDS[self.kind] + ":"]
        if self.case_id is not None:
            parts.append(names["case"].get(self.case_id, f"case #{self.case_id}"))
        if self.organisation_id is not None:
            org = names["organisation"].get(self.organisation_id, f"#{self.organisation_id}")
            parts.append(f"organisation {org}")
        if self.user_id is not None:
            parts.append(f"user {names['user'].get(self.user_id, f'#{self.user_id}')}")
        if self.group_id is not None and self.organisation_id is None:
            parts.append(f"group #{self.group_id}")
        if self.codename:
            parts.append(self.codename)
        return " ".join(parts)


def find_drift() -> list[Drift]:
    found: list[Drift] = []
    found += _users_in_organisation_groups()
    found += _orphan_group_grants()
    found += _ungrantable()
    perms = Permission.objects.filter(
        content_type__app_label="cases", codename__in=access.GRANTABLE
    ).order_by("codename")
    for perm in perms:
        roles = [r for r, actions in access.ROLE_ACTIONS.items() if perm.codename in actions]
        found += _missing(perm, roles)
        found += _extra(perm, roles)
    return found


def fix_drift(drift: Iterable[Drift] | None = None) -> int:
    """Repair ``drift`` (by default, all there is); return how many items were repaired."""
    drift = list(find_drift() if drift is None else drift)
    User = get_user_model()
    with transaction.atomic():
        members = [d for d in drift if d.kind == GROUP_MEMBER]
        for d in members:
            assert d.user_id is not None and d.group_id is not None  # a member drift names both
            User.groups.through.objects.filter(user_id=d.user_id, group_id=d.group_id).delete()
        orphans = [d for d in drift if d.kind == ORPHAN]
        if orphans:
            CaseGroupObjectPermission.objects.filter(
                group__organisation__isnull=True,
                group_id__in={d.group_id for d in orphans},
            ).delete()
        pairs = {
            (d.case_id, d.organisation_id, d.user_id)
            for d in drift
            if d.kind not in (GROUP_MEMBER, ORPHAN)
        }
        cases = Case.objects.in_bulk({c for c, _, _ in pairs})
        orgs = Organisation.objects.in_bulk({o for _, o, _ in pairs if o})
        users = User.objects.in_bulk({u for _, _, u in pairs if u})
        for case_id, org_id, user_id in sorted(pairs, key=str):
            if org_id:
                access.sync_grants(cases[case_id], organisation=orgs[org_id])
            else:
                access.sync_grants(cases[case_id], user=users[user_id])
    return len(drift)


def names_for(drift: Iterable[Drift]) -> dict[str, dict[int, str]]:
    """Readable names for a report: case references, organisation slugs, usernames."""
    drift = list(drift)
    User = get_user_model()
    return {
        "case": dict(
            Case.objects.filter(pk__in={d.case_id for d in drift if d.case_id}).values_list(
                "pk", "reference"
            )
        ),
        "organisation": dict(
            Organisation.objects.filter(
                pk__in={d.organisation_id for d in drift if d.organisation_id}
            ).values_list("pk", "slug")
        ),
        "user": dict(
            User.objects.filter(pk__in={d.user_id for d in drift if d.user_id}).values_list(
                "pk", User.USERNAME_FIELD
            )
        ),
    }


# --------------------------------------------------------------------------- the checks


def _users_in_organisation_groups() -> list[Drift]:
    rows = (
        get_user_model()
        .groups.through.objects.filter(group__organisation__isnull=False)
        .values_list("user_id", "group_id", "group__organisation")
        .order_by("group_id", "user_id")
    )
    return [Drift(GROUP_MEMBER, user_id=u, group_id=g, organisation_id=o) for u, g, o in rows]


def _orphan_group_grants() -> list[Drift]:
    rows = (
        CaseGroupObjectPermission.objects.filter(group__organisation__isnull=True)
        .values_list("content_object_id", "group_id", "permission__codename")
        .order_by("content_object_id", "group_id")
    )
    return [Drift(ORPHAN, case_id=c, group_id=g, codename=p) for c, g, p in rows]


def _ungrantable() -> list[Drift]:
    """Grants of an action no participation gives (coordinator-only ones, model perms)."""
    grantable = Permission.objects.filter(
        content_type__app_label="cases", codename__in=access.GRANTABLE
    )
    groups = (
        CaseGroupObjectPermission.objects.filter(group__organisation__isnull=False)
        .exclude(permission__in=grantable)
        .values_list("content_object_id", "group__organisation", "permission__codename")
    )
    users = CaseUserObjectPermission.objects.exclude(permission__in=grantable).values_list(
        "content_object_id", "user_id", "permission__codename"
    )
    return [
        Drift(COORDINATOR_ONLY, case_id=c, organisation_id=o, codename=p) for c, o, p in groups
    ] + [Drift(COORDINATOR_ONLY, case_id=c, user_id=u, codename=p) for c, u, p in users]


def _missing(perm: Permission, roles: list[str]) -> list[Drift]:
    """Active participations whose roles give ``perm`` that the grant table lacks."""
    active = Participant.objects.active().filter(role__in=roles)
    orgs = (
        active.filter(organisation__isnull=False)
        .exclude(
            Exists(
                CaseGroupObjectPermission.objects.filter(
                    content_object_id=OuterRef("case_id"),
                    group_id=OuterRef("organisation__group_id"),
                    permission=perm,
                )
            )
        )
        .values_list("case_id", "organisation_id")
        .distinct()
    )
    users = (
        active.filter(user__isnull=False)
        .exclude(
            Exists(
                CaseUserObjectPermission.objects.filter(
                    content_object_id=OuterRef("case_id"),
                    user_id=OuterRef("user_id"),
                    permission=perm,
                )
            )
        )
        .values_list("case_id", "user_id")
        .distinct()
    )
    return [
        Drift(MISSING, case_id=c, organisation_id=o, codename=perm.codename) for c, o in orgs
    ] + [Drift(MISSING, case_id=c, user_id=u, codename=perm.codename) for c, u in users]


def _extra(perm: Permission, roles: list[str]) -> list[Drift]:
    """Grants of ``perm`` that no active participation with one of ``roles`` explains."""
    participations = Participant.objects.filter(case_id=OuterRef("content_object_id"))
    groups = _unexplained(
        CaseGroupObjectPermission.objects.filter(
            permission=perm, group__organisation__isnull=False
        ),
        participations.filter(organisation__group_id=OuterRef("group_id")),
        roles,
        "group__organisation",
    )
    users = _unexplained(
        CaseUserObjectPermission.objects.filter(permission=perm),
        participations.filter(user_id=OuterRef("user_id")),
        roles,
        "user_id",
    )
    return [
        Drift(kind, case_id=c, organisation_id=o, codename=perm.codename) for kind, c, o in groups
    ] + [Drift(kind, case_id=c, user_id=u, codename=perm.codename) for kind, c, u in users]


def _unexplained(
    grants: models.QuerySet, participations: ParticipantQuerySet, roles: list[str], owner: str
) -> list[tuple[str, int, int]]:
    rows = (
        grants.exclude(Exists(participations.active().filter(role__in=roles)))
        .annotate(still_in=Exists(participations.active()), ever_in=Exists(participations))
        .values_list("content_object_id", owner, "still_in", "ever_in")
        .order_by("content_object_id", owner)
    )
    # Still in the case through another role: EXTRA; only removed rows left: REMOVED.
    return [
        (REMOVED if ever_in and not still_in else EXTRA, case_id, who)
        for case_id, who, still_in, ever_in in rows
    ]
