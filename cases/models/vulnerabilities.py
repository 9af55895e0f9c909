"""Vulnerabilities of a case, their affected packages and credits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.case import Case, severity_for_score
from cases.models.reports import Report


class Vulnerability(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    title = models.CharField(max_length=300)
    # As ``Case.title_from_report``: the report whose wording ``title`` still is.
    title_from_report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(blank=True, help_text="Markdown.")
    cwe = models.CharField("CWE", max_length=12, blank=True)
    cvss3_vector = models.CharField("CVSS 3.1 vector", max_length=200, blank=True)
    cvss3_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cvss4_vector = models.CharField("CVSS 4.0 vector", max_length=300, blank=True)
    cvss4_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cve_id = models.CharField("CVE id", max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "vulnerabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["cve_id"], condition=~Q(cve_id=""), name="unique_cve_id"
            )
        ]

    def __str__(self) -> str:
        return self.cve_id or self.title

    @property
    def score(self) -> float | None:
        scores = [float(s) for s in (self.cvss4_score, self.cvss3_score) if s is not None]
        return max(scores) if scores else None

    @property
    def severity(self) -> str:
        return severity_for_score(self.score)


class AffectedPackage(models.Model):
    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="affected"
    )
    purl = models.CharField("package (purl)", max_length=500)
    vers = models.CharField("affected versions (vers)", max_length=500)
    fixed_versions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.purl} {self.vers}"


class Credit(models.Model):
    class Kind(models.TextChoices):
        FINDER = "finder", "Finder"
        REPORTER = "reporter", "Reporter"
        ANALYST = "analyst", "Analyst"
        COORDINATOR = "coordinator", "Coordinator"
        REMEDIATION_DEVELOPER = "remediation_developer", "Remediation developer"
        REMEDIATION_REVIEWER = "remediation_reviewer", "Remediation reviewer"
        OTHER = "other", "Other"

    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="credits"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.FINDER)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only people who agreed are named in advisories.
    consented = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"
