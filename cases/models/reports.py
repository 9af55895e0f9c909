"""Reports: one finding from one reporter, waiting for triage or filed in a case."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases.models.case import Case
from cases.models.people import Organisation


class ReportStatus(models.TextChoices):
    NEW = "new", "New"
    IN_CASE = "in_case", "In a case"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"


class Report(models.Model):
    title = models.CharField(max_length=300)
    description = models.TextField(help_text="Markdown.")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    reporter_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    purl = models.CharField("package (purl)", max_length=500, blank=True)
    package = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    vers = models.CharField("affected versions (vers)", max_length=500, blank=True)
    cwe = models.CharField("CWE", max_length=12, blank=True)
    cvss_vector = models.CharField("CVSS vector", max_length=200, blank=True)
    wants_credit = models.BooleanField(
        default=True, help_text="Credit the reporter by name in the advisory."
    )
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW, db_index=True
    )
    rejection_reason = models.TextField(blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    # sha256 of the normalised content: the same reporter sending the same report twice.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="report_status_received")]
        constraints = [
            # One report per finding and reporter, even for concurrent identical
            # submissions (services.submit_report answers the existing one). Rows added
            # in the admin carry no fingerprint and are not held to it.
            models.UniqueConstraint(
                fields=["reporter", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="unique_report_per_reporter_fingerprint",
            )
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:report_detail", args=[self.pk])

    @staticmethod
    def compute_fingerprint(**fields: str) -> str:
        canonical = "\x1f".join(
            " ".join(str(fields.get(k, "")).split()).lower()
            for k in ("title", "description", "purl", "vers", "cwe", "cvss_vector")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class PendingReport(models.Model):
    """A report sent from the public page by someone without a session, held until they
    confirm their address (``cases.public_intake``). It is not a ``Report``: nothing of
    it reaches triage, counts or duplicate detection before the confirmation, which
    submits it through ``services.submit_report`` like any signed-in submission.

    The link carries a random secret signed with a timestamp; only its SHA-256 is kept.
    Unconfirmed rows expire and are purged (``purge_held_intake``), and a confirmed
    row keeps no copy of the report's content.
    """

    email = models.EmailField()
    title = models.CharField(max_length=300)
    description = models.TextField()
    purl = models.CharField(max_length=500, blank=True)
    vers = models.CharField(max_length=500, blank=True)
    cwe = models.CharField(max_length=12, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    wants_credit = models.BooleanField(default=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Held report from {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.confirmed_at is None and self.expires_at > timezone.now()


def held_upload_path(instance: HeldUpload, filename: str) -> str:
    # Random name below the private storage, as attachments (discussion.private_upload_path).
    return f"held/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class HeldUpload(models.Model):
    """A file kept server-side: for a form sent back with errors (``stash_key``, the
    hash of a random key in the sender's session; short-lived) or for a report held
    until its address is confirmed (``pending_report``). ``cases.upload_stash``."""

    stash_key = models.CharField(max_length=64, blank=True, db_index=True)
    pending_report = models.ForeignKey(
        PendingReport, null=True, blank=True, on_delete=models.CASCADE, related_name="uploads"
    )
    file = models.FileField(upload_to=held_upload_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name
