"""Per-user calendar feed tokens: stored as hashes, rotated and revoked here."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.types import User
from disclosure.models import (
    CalendarToken,
)

# --------------------------------------------------------------------------- calendar


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_calendar_token(user: User) -> str:
    """Revoke the user's feed token (if any) and return a new one, shown once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        CalendarToken.objects.create(user=user, token_hash=_hash_token(token))
    return token


def revoke_calendar_token(user: User) -> int:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def user_for_calendar_token(token: str) -> Any | None:
    """The active user a live token belongs to, or None."""
    row = (
        CalendarToken.objects.filter(token_hash=_hash_token(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user
