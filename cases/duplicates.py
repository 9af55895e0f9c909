"""Duplicate detection at intake: is this finding already reported or under coordination?

A new report is compared with open reports (not yet triaged) and open cases on four
signals: the same package (purl without version), overlapping affected version ranges
(vers, compared with univers), the same or a related weakness (CWE), and the
similarity of title and description. Candidate rows are found through indexes only
(package equality, then a trigram index on titles on PostgreSQL), never by scanning
every report; the scoring then runs in Python on a few dozen rows.

Only coordinators see candidates (they name other reports). A reporter only learns
that the finding is already under coordination, and the case reference only when they
may see that case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Left

from cases.models import OPEN_STATES, AffectedPackage, Case, Project, Report, ReportStatus

# Weights of each signal; a candidate is listed from LIST_THRESHOLD on, and the reporter
# is told "already under coordination" from NOTICE_THRESHOLD on.
WEIGHT_PACKAGE = 0.35
WEIGHT_VERSIONS = 0.15
WEIGHT_CWE_SAME = 0.15
WEIGHT_CWE_RELATED = 0.10
WEIGHT_TEXT = 0.35
LIST_THRESHOLD = 0.40
NOTICE_THRESHOLD = 0.70
# Trigram similarity a title needs to be fetched as a text-only candidate. Below about
# 0.5 a candidate from another package cannot reach LIST_THRESHOLD anyway.
TITLE_TRIGRAM_THRESHOLD = 0.45
# Rows fetched per source (same package, project, similar title): a few dozen in all.
PER_SOURCE_LIMIT = 15
# Only the start of long descriptions is compared (scanner output repeats itself).
DESCRIPTION_CHARS = 1500

# Families of weaknesses that scanners report under different, related CWE ids.
CWE_FAMILIES: dict[str, frozenset[str]] = {
    "memory safety": frozenset(
        {"CWE-119", "CWE-120", "CWE-121", "CWE-122", "CWE-125", "CWE-126", "CWE-787", "CWE-788"}
    ),
    "use after free / double free": frozenset({"CWE-416", "CWE-415", "CWE-825"}),
    "integer overflow": frozenset({"CWE-190", "CWE-191", "CWE-680", "CWE-681"}),
    "cross-site scripting": frozenset({"CWE-79", "CWE-80", "CWE-83", "CWE-87"}),
    "SQL injection": frozenset({"CWE-89", "CWE-564", "CWE-943"}),
    "command injection": frozenset({"CWE-77", "CWE-78", "CWE-88"}),
    "path traversal": frozenset({"CWE-22", "CWE-23", "CWE-35", "CWE-36", "CWE-73"}),
    "deserialisation": frozenset({"CWE-502", "CWE-915"}),
    "resource exhaustion": frozenset({"CWE-400", "CWE-770", "CWE-1333", "CWE-674", "CWE-834"}),
    "NULL dereference": frozenset({"CWE-476", "CWE-690"}),
    "authentication": frozenset({"CWE-287", "CWE-288", "CWE-290", "CWE-306", "CWE-1390"}),
    "authorisation": frozenset({"CWE-285", "CWE-862", "CWE-863", "CWE-639"}),
    "SSRF": frozenset({"CWE-918", "CWE-441"}),
    "XML external entities": frozenset({"CWE-611", "CWE-776", "CWE-827"}),
    "cryptography": frozenset({"CWE-327", "CWE-326", "CWE-328", "CWE-916", "CWE-759"}),
}
_FAMILY_OF: dict[str, str] = {cwe: name for name, cwes in CWE_FAMILIES.items() for cwe in cwes}


def cwe_relation(a: str, b: str) -> str | None:
    """'same', the family name when related, or None."""
    a, b = (a or "").upper(), (b or "").upper()
    if not a or not b:
        return None
    if a == b:
        return "same"
    family = _FAMILY_OF.get(a)
    if family is not None and family == _FAMILY_OF.get(b):
        return family
    return None


# --------------------------------------------------------------------------- versions


@lru_cache(maxsize=4096)
def _intervals(vers: str) -> tuple[str, list[tuple[Any, bool, Any, bool]]] | None:
    """A vers range as (scheme, [(low, low_inclusive, high, high_inclusive)])."""
    from univers.version_range import VersionRange

    try:
        vr = VersionRange.from_string(vers)
    except Exception:  # univers raises many types for bad input; unknown is not an overlap
        return None
    intervals: list[tuple[Any, bool, Any, bool]] = []
    low, low_inc = None, False
    for c in sorted(vr.constraints, key=lambda c: (c.version is not None, c.version)):
        if c.comparator == "*":
            return vr.scheme, [(None, False, None, False)]
        if c.comparator == "=":
            intervals.append((c.version, True, c.version, True))
        elif c.comparator in (">", ">="):
            low, low_inc = c.version, c.comparator == ">="
        elif c.comparator in ("<", "<="):
            intervals.append((low, low_inc, c.version, c.comparator == "<="))
            low, low_inc = None, False
    if low is not None:
        intervals.append((low, low_inc, None, False))
    return vr.scheme, intervals


def _below(low: Any, low_inc: bool, high: Any, high_inc: bool) -> bool:
    if low is None or high is None:
        return True
    if low < high:
        return True
    return low == high and low_inc and high_inc


def versions_overlap(a: str, b: str) -> bool | None:
    """Whether two vers ranges share a version; None when unknown (missing or other scheme)."""
    if not a or not b:
        return None
    ia, ib = _intervals(a), _intervals(b)
    if ia is None or ib is None or ia[0] != ib[0]:
        return None
    try:
        return any(
            _below(alo, ainc, bhi, bhinc) and _below(blo, binc, ahi, ahinc)
            for alo, ainc, ahi, ahinc in ia[1]
            for blo, binc, bhi, bhinc in ib[1]
        )
    except TypeError:  # versions of schemes univers cannot compare
        return None


# --------------------------------------------------------------------------- text

_WORD = re.compile(r"[a-z0-9]+")


def trigrams(text: str, limit: int = DESCRIPTION_CHARS) -> frozenset[str]:
    """Word trigrams the way pg_trgm builds them, so both databases score alike."""
    grams: set[str] = set()
    for word in _WORD.findall((text or "")[:limit].lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """One open report or case that may describe the same flaw."""

    score: float
    reasons: list[str]
    case: Case | None = None
    report: Report | None = None

    @property
    def kind(self) -> str:
        return "case" if self.case is not None else "report"

    @property
    def label(self) -> str:
        if self.case is not None:
            return f"{self.case.reference}: {self.case.title}"
        return f"Report #{self.report.pk}: {self.report.title}"

    @property
    def percent(self) -> int:
        return round(self.score * 100)


@dataclass
class Finding:
    """What is being checked: a stored report or the fields of one being submitted."""

    package: str = ""
    vers: str = ""
    cwe: str = ""
    title: str = ""
    description: str = ""
    exclude_report: int | None = None
    exclude_case: int | None = None
    _title_grams: frozenset[str] = field(default=frozenset(), repr=False)
    _text_grams: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        self._title_grams = trigrams(self.title)
        self._text_grams = trigrams(self.description)

    @classmethod
    def of_report(cls, report: Report) -> Finding:
        return cls(
            package=report.package,
            vers=report.vers,
            cwe=report.cwe,
            title=report.title,
            description=report.description,
            exclude_report=report.pk,
            exclude_case=report.case_id,
        )


def _score(
    finding: Finding,
    *,
    packages: Iterable[str],
    vers: Iterable[str],
    cwes: Iterable[str],
    title: str,
    description: str,
) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    packages = {p for p in packages if p}
    if finding.package and finding.package in packages:
        score += WEIGHT_PACKAGE
        reasons.append(f"same package {finding.package}")
        overlaps = [versions_overlap(finding.vers, v) for v in vers if v]
        if any(o is True for o in overlaps):
            score += WEIGHT_VERSIONS
            reasons.append("affected versions overlap")
        elif overlaps and all(o is False for o in overlaps):
            # Disjoint ranges of one package are usually separate flaws (or a regression).
            score -= WEIGHT_VERSIONS
            reasons.append("affected versions do not overlap")
    relations = [cwe_relation(finding.cwe, c) for c in cwes]
    if "same" in relations:
        score += WEIGHT_CWE_SAME
        reasons.append(f"same weakness {finding.cwe}")
    else:
        family = next((r for r in relations if r), None)
        if family:
            score += WEIGHT_CWE_RELATED
            reasons.append(f"related weakness ({family})")
    title_sim = similarity(finding._title_grams, trigrams(title))
    text_sim = similarity(finding._text_grams, trigrams(description)) if description else 0.0
    text = 0.6 * title_sim + 0.4 * text_sim if description else title_sim
    if text >= 0.2:
        reasons.append(f"similar text ({round(text * 100)}%)")
    score += WEIGHT_TEXT * min(1.0, text * 1.25)
    return max(0.0, min(1.0, score)), reasons


def _open_reports() -> Any:
    return Report.objects.filter(status=ReportStatus.NEW)


def _open_cases() -> Any:
    return Case.objects.filter(state__in=OPEN_STATES)


def _candidate_ids(finding: Finding) -> tuple[list[int], list[int]]:
    """(report ids, case ids) worth scoring, found through indexes only.

    Package equality first (btree lookups). Scanners name the package they scanned, so
    when the package is one we know (a project lists it, a case or another report has
    it), a duplicate carries it too and the search stays there. The trigram index on
    titles is searched when there is no package or nobody has seen it yet.
    """
    report_ids: list[int] = []
    case_ids: list[int] = []
    known = False
    if finding.package:
        report_ids += list(
            _open_reports()
            .filter(package=finding.package)
            .order_by("-received_at")
            .values_list("pk", flat=True)[:PER_SOURCE_LIMIT]
        )
        case_ids += list(
            AffectedPackage.objects.filter(
                purl=finding.package, vulnerability__case__state__in=OPEN_STATES
            )
            .order_by("-vulnerability__case__updated_at")
            .values_list("vulnerability__case_id", flat=True)[:PER_SOURCE_LIMIT]
        )
        projects = _projects_with_package(finding.package)
        if projects:
            case_ids += list(
                _open_cases()
                .filter(projects__in=projects)
                .order_by("-updated_at")
                .values_list("pk", flat=True)[:PER_SOURCE_LIMIT]
            )
        known = bool(
            projects
            or case_ids
            or set(report_ids) - {finding.exclude_report}
            or AffectedPackage.objects.filter(purl=finding.package).exists()
        )
    if not known:
        report_ids += _text_matches(_open_reports(), finding.title, "-received_at")
        case_ids += _text_matches(_open_cases(), finding.title, "-updated_at")
    return report_ids, case_ids


def _projects_with_package(package: str) -> list[int]:
    if connection.vendor == "postgresql":
        return list(Project.objects.filter(purls__contains=[package]).values_list("pk", flat=True))
    return [pk for pk, purls in Project.objects.values_list("pk", "purls") if package in purls]


def _text_matches(queryset: Any, title: str, recent: str) -> list[int]:
    """Rows whose title is similar: the trigram index on PostgreSQL, recent rows elsewhere."""
    if not title.strip():
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        with transaction.atomic(), connection.cursor() as cursor:
            # SET LOCAL ends with this transaction; the `%` operator reads it.
            cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [TITLE_TRIGRAM_THRESHOLD])
            return list(
                queryset.filter(title__trigram_similar=title)
                .annotate(_sim=TrigramSimilarity("title", title))
                .order_by("-_sim")
                .values_list("pk", flat=True)[:PER_SOURCE_LIMIT]
            )
    # SQLite (the demo): compare with the most recent open rows only.
    grams = trigrams(title)
    rows = queryset.order_by(recent).values_list("pk", "title")[:500]
    scored = [(similarity(grams, trigrams(t)), pk) for pk, t in rows]
    return [pk for s, pk in sorted(scored, reverse=True) if s >= TITLE_TRIGRAM_THRESHOLD][
        :PER_SOURCE_LIMIT
    ]


def find_candidates(finding: Finding, *, limit: int = 10) -> list[Candidate]:
    """Open reports and cases that may describe the same flaw, best first."""
    candidates: list[Candidate] = []
    found_reports, found_cases = _candidate_ids(finding)
    report_ids = set(found_reports) - {finding.exclude_report}
    reports = (
        Report.objects.filter(pk__in=report_ids)
        .only("pk", "title", "package", "vers", "cwe", "received_at", "status")
        .annotate(description_start=Left("description", DESCRIPTION_CHARS))
    )
    for report in reports:
        score, reasons = _score(
            finding,
            packages=[report.package],
            vers=[report.vers],
            cwes=[report.cwe],
            title=report.title,
            description=report.description_start,
        )
        if score >= LIST_THRESHOLD:
            candidates.append(Candidate(score=score, reasons=reasons, report=report))
    case_ids = set(found_cases) - {finding.exclude_case}
    cases = Case.objects.filter(pk__in=case_ids).prefetch_related(
        "vulnerabilities__affected", "projects"
    )
    for case in cases:
        vulns = list(case.vulnerabilities.all())
        affected = [a for v in vulns for a in v.affected.all()]
        project_purls = [p for project in case.projects.all() for p in project.purls]
        score, reasons = _score(
            finding,
            packages=[a.purl for a in affected] + project_purls,
            vers=[a.vers for a in affected],
            cwes=[v.cwe for v in vulns],
            title=" ".join([case.title] + [v.title for v in vulns]),
            description=" ".join([case.summary] + [v.description for v in vulns]),
        )
        if score >= LIST_THRESHOLD:
            candidates.append(Candidate(score=score, reasons=reasons, case=case))
    # A case ahead of a report of equal score: merging into a case is the useful action.
    candidates.sort(key=lambda c: (c.score, c.kind == "case"), reverse=True)
    return candidates[:limit]


def candidates_for(report: Report, *, limit: int = 10) -> list[Candidate]:
    return find_candidates(Finding.of_report(report), limit=limit)


def coordination_notice(report: Report, user: Any) -> dict[str, Any]:
    """What the reporter may learn: already under coordination, and the case if visible.

    Never who else reported it or what they wrote: only a case match counts (an
    untriaged report of someone else is not mentioned at all).
    """
    if report.status == ReportStatus.DUPLICATE and report.case_id:
        case = report.case
    elif report.status == ReportStatus.NEW:
        best = next((c for c in candidates_for(report, limit=5) if c.case is not None), None)
        case = best.case if best is not None and best.score >= NOTICE_THRESHOLD else None
    else:
        case = None
    if case is None:
        return {"already_under_coordination": False, "case": None}
    visible = Case.objects.visible_to(user).filter(pk=case.pk).exists()
    return {"already_under_coordination": True, "case": case.reference if visible else None}


def intake_figures(user: Any) -> dict[str, int]:
    """Dashboard figures: reports received, merged as duplicates, reading time saved.

    Coordinators see the whole intake; anyone else the figures of their own reports.
    """
    from django.conf import settings

    from cases import access
    from cases.dashboard import portal_wide

    reports = access.visible_reports(user)
    counts = portal_wide(
        user,
        "intake",
        lambda: reports.aggregate(
            received=_count(Q()),
            duplicates=_count(Q(status=ReportStatus.DUPLICATE)),
        ),
    )
    minutes = settings.DUPLICATE_READING_MINUTES
    return {
        "received": counts["received"] or 0,
        "duplicates": counts["duplicates"] or 0,
        "hours_saved": round((counts["duplicates"] or 0) * minutes / 60),
    }


def _count(condition: Q) -> Any:
    from django.db.models import Count

    return Count("pk", filter=condition) if condition else Count("pk")
