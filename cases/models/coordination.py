"""A coordinator's working aids: the filters a person saved on the case list, and the
record of what merging a report into a case wrote (so that the merge can be undone)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases.models.case import Case, Participant
from cases.models.reports import Report
from cases.models.vulnerabilities import Credit


class SavedFilter(models.Model):
    """A named set of case-list filters, private to its owner (``cases.saved_filters``)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=80)
    # The case list's query string, reduced to its filter fields (``saved_filters.FIELDS``).
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_owner_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cases:saved_filter_apply", args=[self.pk])


class ReportMerge(models.Model):
    """One merge of a report into a case (``services.merge_report_into_case``) and what it
    wrote besides the report's own fields: the reporter's participant row and finder
    credit when the merge created them, and the attachments it moved into the case.
    ``services.undo_report_merge`` reverts exactly these and sets ``undone_at``."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="merges")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credit = models.ForeignKey(
        Credit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachment_ids = models.JSONField(default=list, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            # A report is merged at most once at a time (a new report has no live merge).
            models.UniqueConstraint(
                fields=["report"], condition=Q(undone_at__isnull=True), name="one_live_merge"
            )
        ]

    def __str__(self) -> str:
        return f"Report {self.report_id} into case {self.case_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
