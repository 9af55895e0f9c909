"""Advisories: the public document of a case, its review and its published revisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import Case


class AdvisoryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Advisory(models.Model):
    """The public document of a case. Content fields are edited while not published;
    after publication each update is a new ``AdvisoryRevision``."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="advisory")
    # Public identifier, e.g. AKRITES-2026-0007 (allocated at creation, never reused).
    identifier = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    summary = models.TextField()
    details = models.TextField(blank=True, help_text="Markdown.")
    workarounds = models.TextField(blank=True, help_text="Markdown.")
    # [{"url": "https://...", "label": "Fix commit"}]
    references = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=20, choices=AdvisoryState.choices, default=AdvisoryState.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_advisories"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Bumped by each published revision (1 = initial publication).
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "advisories"
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.identifier

    @property
    def is_public(self) -> bool:
        return self.state == AdvisoryState.PUBLISHED


class AdvisoryRevision(models.Model):
    """One published version of an advisory; the history is kept for CSAF tracking."""

    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    summary = models.CharField(max_length=300)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "number"], name="unique_advisory_revision")
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} r{self.number}"
