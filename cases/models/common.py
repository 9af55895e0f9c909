"""What the models of several topics (and apps) share: the errors a state change
raises, the gap-free per-year counter behind case references and advisory ids, and
the pending state of invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.db import models
from django.utils import timezone


class TransitionError(Exception):
    """A state change that the current state does not allow."""


class StaleEdit(Exception):
    """An edit made from a version that someone else has changed since."""

    message = (
        "This was changed by someone else since you opened it. Reload and apply your edit again."
    )


class _InvitationDates(Protocol):
    accepted_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


class PendingInvitationMixin:
    """``is_pending`` of an invitation row (``accounts.Invitation``,
    ``OnboardingInvitation``): not accepted, not revoked, not expired. No fields, so
    mixing it in changes no table."""

    @property
    def is_pending(self: _InvitationDates) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class YearCounter(models.Model):
    """One row per year; locked while a number is allocated, so numbers have no gaps."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"

    @classmethod
    def allocate(cls, year: int) -> int:
        """The next number of ``year``; call inside the transaction that uses it."""
        # An abstract model has no ``objects`` of its own; each subclass has the default.
        cls._default_manager.bulk_create([cls(year=year)], ignore_conflicts=True)
        counter = cls._default_manager.select_for_update().get(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return counter.last_number
