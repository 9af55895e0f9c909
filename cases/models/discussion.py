"""Comments and attachments of a case."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.case import Case
from cases.models.people import Organisation
from cases.models.reports import Report


class CommentVisibility(models.TextChoices):
    ALL = "all", "All participants"
    COORDINATORS = "coordinators", "Coordinators only"
    ORGANISATION = "organisation", "One organisation (and coordinators)"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(help_text="Markdown; raw HTML is removed.")
    visibility = models.CharField(
        max_length=20, choices=CommentVisibility.choices, default=CommentVisibility.ALL
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="comment_case_created")]

    def __str__(self) -> str:
        return f"Comment #{self.pk} on {self.case_id}"


def private_upload_path(instance: Attachment, filename: str) -> str:
    # Random name: the original name is kept in a field, never used on disk.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=private_upload_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(report__isnull=False),
                name="attachment_has_case_or_report",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
