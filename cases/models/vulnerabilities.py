"""Vulnerabilities of a case, their affected packages and credits."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.case import Case, severity_for_score
from cases.models.people import Project
from cases.models.reports import Report
from cases.validators import purl_without_version


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
        # The vendor status reminders read vulnerabilities added in a window.
        indexes = [models.Index(fields=["created_at"], name="vulnerability_created")]

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

    @property
    def package(self) -> str:
        """The package this row names, as projects list theirs (``package_key``)."""
        return package_key(self.purl)


# --------------------------------------------------------------------------- fixed in
# "Which versions of project P fix case C" has one answer: the fixed versions of the
# case's affected packages whose purl is one of P's (``Project.purls``), compared
# without version, qualifiers and subpath. The release plan, the go/no-go panel, the
# API and the advisory read it here; nothing else stores a "fixed version".


def package_key(purl: str) -> str:
    """A purl without version, qualifiers and subpath; "" for what is not a purl."""
    try:
        return purl_without_version(purl)
    except ValueError:
        return ""


def project_package_keys(project: Project) -> frozenset[str]:
    return frozenset(k for k in (package_key(p) for p in project.purls or []) if k)


def affected_packages_by_project(
    case_id: int, projects: Iterable[Project]
) -> dict[int, list[AffectedPackage]]:
    """The affected packages of case ``case_id`` that belong to each of ``projects``
    (project id -> rows, in vulnerability then row order), in one query."""
    keys = {project.pk: project_package_keys(project) for project in projects}
    result: dict[int, list[AffectedPackage]] = {pk: [] for pk in keys}
    if not keys:
        return result
    rows = AffectedPackage.objects.filter(vulnerability__case_id=case_id).order_by(
        "vulnerability__created_at", "vulnerability_id", "id"
    )
    for row in rows:
        package = row.package
        for project_id, project_keys in keys.items():
            if package in project_keys:
                result[project_id].append(row)
    return result


def merged_fixed_versions(rows: Iterable[AffectedPackage]) -> list[str]:
    """Every fixed version the rows list, in order, once each."""
    seen: dict[str, None] = {}
    for row in rows:
        for version in row.fixed_versions or []:
            seen.setdefault(str(version), None)
    return list(seen)


def fixed_versions_by_project(case_id: int, projects: Iterable[Project]) -> dict[int, list[str]]:
    """Project id -> the versions that fix it in case ``case_id`` (one query)."""
    return {
        project_id: merged_fixed_versions(rows)
        for project_id, rows in affected_packages_by_project(case_id, projects).items()
    }


def fixed_versions_of(case_id: int, project: Project) -> list[str]:
    """The fixed versions of ``project`` in case ``case_id``."""
    return fixed_versions_by_project(case_id, [project])[project.pk]


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
