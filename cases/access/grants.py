"""Guardian grants: a participant's rights written as object permissions, in the
transaction that adds or removes the participant."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import Permission
from django.db import transaction

from cases.access.roles import COORDINATOR_ONLY, GRANTABLE, ROLE_ACTIONS
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Organisation,
    Participant,
)
from cases.types import User


def sync_grants(
    case: Case, *, organisation: Organisation | None = None, user: User | None = None
) -> None:
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
            _rewrite_grants(
                CaseGroupObjectPermission, case, {"group": organisation.group}, wanted, perms
            )
        else:
            _rewrite_grants(CaseUserObjectPermission, case, {"user": user}, wanted, perms)


# One of the two grant tables; the function below is checked for each.
_Grant = TypeVar("_Grant", CaseGroupObjectPermission, CaseUserObjectPermission)


def _rewrite_grants(
    table: type[_Grant],
    case: Case,
    owner: dict[str, Any],
    wanted: set[str],
    perms: dict[str, Permission],
) -> None:
    """Make ``owner``'s grants on ``case`` in ``table`` exactly ``wanted``."""
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
