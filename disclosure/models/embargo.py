"""Embargoes: public dates, policies, clocks and proposals."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cases.models import Case


class EmbargoState(models.TextChoices):
    NONE = "none", "No embargo"
    ACTIVE = "active", "Active"
    LIFTED = "lifted", "Lifted"
    BROKEN = "broken", "Broken"


class Embargo(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="embargo")
    state = models.CharField(
        max_length=10, choices=EmbargoState.choices, default=EmbargoState.NONE, db_index=True
    )
    public_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Embargo of {self.case_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state == EmbargoState.ACTIVE
