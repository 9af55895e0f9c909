"""Batches of findings: many reports sent in one request (a list or a SARIF log).

Imported at the end of ``cases.models`` so Django registers it with the cases app. The
workflow is ``cases.batches``; the SARIF mapping ``cases.sarif``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ReportBatch(models.Model):
    """Many findings sent in one request (a list of reports or a SARIF log).

    ``cases.batches`` processes it (inline when small, else in a task): each finding
    becomes a report through ``services.submit_report``, in its own savepoint, and
    ``results`` says per finding created / already_submitted / rejected (with field
    errors). ``findings`` holds the submitted findings until then and is emptied once
    the batch is done. Only the submitter and the SIRT see a batch.
    """

    class Source(models.TextChoices):
        FINDINGS = "findings", "List of findings"
        SARIF = "sarif", "SARIF log"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_batches"
    )
    # On whose behalf (one of the submitter's organisations): findings that name none
    # are reported for it, and its webhooks hear ``report.batch.completed``.
    organisation = models.ForeignKey(
        "cases.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_batches",
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    findings = models.JSONField(default=list, blank=True)
    results = models.JSONField(default=list, blank=True)
    # The SIRT's only (never in the submitter's view or the API): for each report the
    # batch created, its likely duplicates as ``[kind, id, score]``, computed while
    # processing (``cases.duplicates``) so a large batch is triaged from one page.
    candidates = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    already_submitted_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the batch last moved (stored, started, a chunk, queued again): a batch
    # unfinished and unmoved for REPORT_BATCH_STALL_SECONDS lost its task, and
    # ``batches.resume_stalled_batches`` queues it again.
    updated_at = models.DateTimeField(default=timezone.now)
    # Times it was queued again after it started, since it last advanced (a cap
    # against a batch that kills its worker every time).
    resumed_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "report batches"

    def __str__(self) -> str:
        return f"Batch #{self.pk} ({self.get_source_display()}, {self.total} findings)"

    def get_absolute_url(self) -> str:
        return reverse("cases:batch_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.processed * 100 // self.total
