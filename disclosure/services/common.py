"""What every disclosure service shares: the roles that respond and deploy, the
permission check."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied

from cases import access
from cases.models import (
    Case,
    ParticipantRole,
)
from cases.types import AnyUser

Role = ParticipantRole
# Roles whose organisations are pre-notified and report deployment.
DEPLOYER_ROLES = (Role.PARTNER, Role.DOWNSTREAM)
# Roles that agree or object to proposals. Not reporters: their answer would show up
# on the timeline of other reporters, who must never learn of each other.
RESPONDER_ROLES = (Role.MAINTAINER, Role.PARTNER, Role.DOWNSTREAM)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _require(user: AnyUser, case: Case, action: str) -> access.CaseAccess:
    case_access = access.access_for(user, case)
    if not case_access.can_view:
        # The caller should have fetched through get_case_for; never reveal the case.
        raise PermissionDenied("You cannot do this on this case.")
    access.require(case_access, action)
    return case_access
