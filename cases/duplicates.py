"""Duplicate detection at intake: is this finding already reported or under coordination?

A finding (a stored report, or the fields of one being submitted) is compared in three
steps:

1. Retrieval, by similarity, never by recency. On PostgreSQL every case has one
   full-text document of everything the SIRT knows of it (``duplicate_documents``: its
   title and summary, its vulnerabilities, the title and text of every report filed in
   it), kept current by triggers. *All* open cases of the finding's package (affected
   packages and projects) are ranked by ``ts_rank`` against the finding's terms, and
   the best ``CANDIDATE_POOL`` are read; untriaged reports of the package are ranked
   the same way. A finding whose package nobody has seen is searched across packages
   through the GIN index on the documents of open cases. Open cases that name an
   identifier the finding names (CVE, GHSA, PYSEC, OSV) always join the pool.
2. Signals per candidate (``duplicate_signals``): package identity; affected version
   ranges compared with univers (identical, overlapping, disjoint); the CWE hierarchy
   of MITRE's research view (``cwe-tree``, e.g. "CWE-79 is a child of CWE-74"); a
   TF-IDF cosine of the texts whose IDF is taken over the pool, i.e. over the
   package's own cases, so the words every advisory of that package uses count for
   little; and how far that similarity leads the best other candidate's ("same flaw,
   other words" is the closest text; "same package, other flaw" shares the package's
   vocabulary only).
3. A calibrated score: a logistic model over those signals whose constants were fitted
   on the labelled development set (``CALIBRATION``; ``make eval-dedupe`` prints its
   figures, cross-validated by leaving one package out), so "70%" means that about
   seven in ten such candidates were the same flaw. From ``LIKELY_THRESHOLD`` on, the
   triage page says "likely duplicate".

Only coordinators see candidates (they name other reports and cases). The reporter is
told nothing at submission (the answer must not depend on what else is reported or
under coordination); they learn that their finding is a duplicate only when a
coordinator merges it (``services.merge_report_into_case``), by a notification and
on the report's page.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from cases import access
from cases.dashboard import portal_wide
from cases.duplicate_signals import (
    CweRelation,
    Terms,
    best_cwe_relation,
    best_versions_relation,
    python_terms,
    tfidf_similarities,
    vers_of_purl,
)
from cases.models import (
    OPEN_STATES,
    AffectedPackage,
    Case,
    Project,
    Report,
    ReportStatus,
    Vulnerability,
)
from cases.types import AnyUser

# Scores are calibrated probabilities. A candidate is listed from LIST_THRESHOLD on; from
# LIKELY_THRESHOLD on it is more likely the same flaw than not, and the page says so.
LIST_THRESHOLD = 0.05
LIKELY_THRESHOLD = 0.5
# Cases (and, separately, untriaged reports) read and scored per finding: the best by
# full-text rank among all open ones of the package. Bounds the Python work per lookup.
CANDIDATE_POOL = 60
# Each text is compared up to this length (scanner output repeats itself).
TEXT_CHARS = 4000
# The finding's most frequent terms that make up the full-text query.
QUERY_TERMS = 200
# Across packages (a package nobody has seen), the search uses the finding's rarest terms
# only: those in fewer than COMMON_TERM_SHARE of all case documents by PostgreSQL's own
# statistics (pg_stats of the documents, re-read every TERM_STATS_SECONDS), at most
# RARE_TERMS of them. Common words would match every open case and rank them all.
COMMON_TERM_SHARE = 0.02
RARE_TERMS = 32
TERM_STATS_SECONDS = 600
# Trigram similarity a report title needs to be a candidate when the package is unknown.
TITLE_TRIGRAM_THRESHOLD = 0.45
# Without PostgreSQL (the SQLite demo): how many recent open rows are compared.
SCAN_LIMIT = 500

# The calibration: logit = sum of CALIBRATION[f] * feature f (``Signals.features``) plus
# the priors below; the score is its logistic. Fitted by ``manage.py eval_dedupe --fit``
# (logistic regression, L2 penalty 1.0; every finding against every open case of its
# package, both directions of the protocol: 92 findings, 1,582 pairs) on the
# development set ../shared/eval/dedupe (46 pairs of write-ups and 80 other
# vulnerabilities of 12 PyPI packages), then rounded. Generic features only, no rule for
# any record. Versions that overlap without being identical, or are unknown, are the
# baseline (the intercept).
CALIBRATION: dict[str, float] = {
    "intercept": -3.75,
    "text": 2.54,
    "lead": 4.62,
    "versions_identical": 3.66,
    "versions_disjoint": -0.45,
}
# Priors, NOT fitted: in the development set every candidate is of the finding's own
# package and no pair carries a CWE on both sides, so these cannot be learnt there. Set
# by hand, conservatively: another package is rarely the same flaw (forks and vendored
# copies are); the same or a parent/child weakness is mild evidence, unrelated weaknesses
# mild evidence against (scanners and advisories often pick different CWEs).
PRIOR_PACKAGE: dict[str, float] = {"same": 0.0, "unknown": -1.0, "different": -3.0}
PRIOR_CWE: dict[str, float] = {"same": 0.7, "close": 0.4, "related": 0.0, "unrelated": -0.7}
# A shared identifier (the same CVE or advisory id) settles it, whatever the text says.
ALIAS_SCORE = 0.99

ALIAS_RE = re.compile(
    r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+|OSV-\d{4}-\d+)\b", re.I
)


# --------------------------------------------------------------------------- signals


@dataclass
class Signals:
    """What is known of one candidate; ``features`` feeds the calibration."""

    package: str  # "same", "unknown" (one side names none) or "different"
    versions: str | None  # versions_relation, for the same package only
    cwe: CweRelation | None
    text: float
    lead: float  # text minus the best other candidate's: > 0 for the closest text
    shared_terms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    pool_size: int = 0
    retrieval_rank: int = 0  # position in the full-text ranking (0 = first)

    def features(self) -> dict[str, float]:
        return {
            "intercept": 1.0,
            "text": self.text,
            "lead": self.lead,
            "versions_identical": float(self.versions == "identical"),
            "versions_disjoint": float(self.versions == "disjoint"),
        }


def prior_logit(signals: Signals) -> float:
    """The part of the logit that is set by hand (package and CWE priors)."""
    cwe = PRIOR_CWE[signals.cwe.kind] if signals.cwe is not None else 0.0
    return PRIOR_PACKAGE[signals.package] + cwe


def calibrated_score(signals: Signals, coefficients: Mapping[str, float] = CALIBRATION) -> float:
    z = prior_logit(signals)
    z += sum(coefficients[name] * value for name, value in signals.features().items())
    score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
    return max(score, ALIAS_SCORE) if signals.aliases else score


def explain(signals: Signals, package: str) -> list[str]:
    """The reasons the triage page lists, strongest evidence first."""
    reasons = [f"both name {alias}" for alias in signals.aliases]
    if signals.package == "same":
        reasons.append(f"same package {package}")
    elif signals.package == "different":
        reasons.append("another package")
    reasons += {
        "identical": ["same affected versions"],
        "overlap": ["affected versions overlap"],
        "disjoint": ["affected versions do not overlap"],
        None: [],
    }[signals.versions]
    if signals.cwe is not None:
        reasons.append(signals.cwe.reason)
    text = f"text similarity {signals.text:.2f}"
    if signals.shared_terms:
        text += f": shared terms {', '.join(signals.shared_terms)}"
    reasons.append(text)
    if signals.lead > 0 and signals.pool_size > 1:
        reasons.append(f"the closest text of the {signals.pool_size} compared")
    return reasons


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """One open case or untriaged report that may describe the same flaw."""

    score: float
    reasons: list[str]
    signals: Signals
    case: Case | None = None
    report: Report | None = None

    @property
    def kind(self) -> str:
        return "case" if self.case is not None else "report"

    @property
    def target(self) -> Case | Report:
        """The case, else the report (a candidate is one or the other)."""
        found = self.case if self.case is not None else self.report
        assert found is not None, "a candidate is a case or a report"
        return found

    @property
    def label(self) -> str:
        if self.case is not None:
            return f"{self.case.reference}: {self.case.title}"
        return f"Report #{self.target.pk}: {self.target.title}"

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY_THRESHOLD


def _canonical_alias(alias: str) -> str:
    """CVE-2026-1234, PYSEC-2026-7, GHSA-abcd-2345-wxyz: as the databases write them."""
    prefix, rest = alias.split("-", 1)
    return f"GHSA-{rest.lower()}" if prefix.upper() == "GHSA" else alias.upper()


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

    @property
    def text(self) -> str:
        return f"{self.title}\n{(self.description or '')[:TEXT_CHARS]}"

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(sorted({_canonical_alias(m) for m in ALIAS_RE.findall(self.text)}))

    @classmethod
    def of_report(cls, report: Report) -> Finding:
        return cls(
            package=report.package,
            vers=report.vers or vers_of_purl(report.purl),
            cwe=report.cwe,
            title=report.title,
            description=report.description,
            exclude_report=report.pk,
            exclude_case=report.case_id,
        )


@dataclass
class Pool:
    """The finding's terms and those of the candidates, best full-text rank first."""

    query: Terms
    cases: dict[int, Terms] = field(default_factory=dict)
    reports: dict[int, Terms] = field(default_factory=dict)
    aliases: dict[int, set[str]] = field(default_factory=dict)  # case id -> shared ids


def _projects_with_package(package: str) -> list[int]:
    return list(Project.objects.listing(package).values_list("pk", flat=True))


def _package_scope(finding: Finding) -> list[int] | None:
    """Every open case of the finding's package; None when nobody has seen the package.

    Scanners name the package they scanned, so when the package is one we know (a
    project lists it, a case or another report has it), a duplicate carries it too and
    the search stays there. Otherwise it goes across packages, by text.
    """
    if not finding.package:
        return None
    case_ids = set(
        AffectedPackage.objects.filter(
            purl=finding.package, vulnerability__case__state__in=OPEN_STATES
        ).values_list("vulnerability__case_id", flat=True)
    )
    projects = _projects_with_package(finding.package)
    if projects:
        case_ids |= set(
            Case.objects.filter(projects__in=projects, state__in=OPEN_STATES).values_list(
                "pk", flat=True
            )
        )
    known = bool(
        projects
        or case_ids
        or Report.objects.filter(package=finding.package)
        .exclude(pk=finding.exclude_report or -1)
        .exists()
        or AffectedPackage.objects.filter(purl=finding.package).exists()
    )
    if not known:
        return None
    if finding.exclude_case is not None:
        case_ids.discard(finding.exclude_case)
    return sorted(case_ids)


def _open_reports(finding: Finding) -> Any:
    return Report.objects.filter(status=ReportStatus.NEW).exclude(
        pk=finding.exclude_report or -1  # -1: no report to leave out
    )


def _similar_report_titles(finding: Finding) -> list[int]:
    """Untriaged reports with a similar title (the trigram index), for unknown packages."""
    if not finding.title.strip():
        return []
    from django.contrib.postgres.search import TrigramSimilarity

    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL ends with this transaction; the `%` operator reads it.
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [TITLE_TRIGRAM_THRESHOLD])
        return list(
            _open_reports(finding)
            .filter(title__trigram_similar=finding.title)
            .annotate(_sim=TrigramSimilarity("title", finding.title))
            .order_by("-_sim")
            .values_list("pk", flat=True)[:CANDIDATE_POOL]
        )


def _alias_cases(aliases: Sequence[str], exclude_case: int | None) -> dict[int, set[str]]:
    """Open cases whose CVE id or whose texts name one of these identifiers."""
    found: dict[int, set[str]] = defaultdict(set)
    if not aliases:
        return found
    for case_id, cve_id in Vulnerability.objects.filter(
        cve_id__in=[a for a in aliases if a.startswith("CVE-")], case__state__in=OPEN_STATES
    ).values_list("case_id", "cve_id"):
        found[case_id].add(cve_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for alias in aliases:
                cursor.execute(
                    "SELECT case_id FROM cases_casesearchdocument WHERE is_open "
                    "AND document @@ phraseto_tsquery('english', %s) LIMIT %s",
                    [alias, CANDIDATE_POOL],
                )
                for (case_id,) in cursor.fetchall():
                    found[case_id].add(alias)
    if exclude_case is not None:
        found.pop(exclude_case, None)
    return found


# -- PostgreSQL: documents and ranking in the database, scoring of the pool in Python

_CASE_DOCUMENTS = """
SELECT d.case_id, t.lexemes, t.counts
  FROM (SELECT case_id, document, ts_rank(document, %(q)s::tsquery) AS rank
          FROM cases_casesearchdocument
         WHERE is_open AND case_id <> %(exclude)s AND {where}
         ORDER BY rank DESC, case_id DESC
         LIMIT %(limit)s) d
  CROSS JOIN LATERAL (
        SELECT array_agg(lexeme) AS lexemes,
               array_agg(coalesce(array_length(positions, 1), 1)) AS counts
          FROM unnest(d.document)) t
 ORDER BY d.rank DESC, d.case_id DESC
"""
_REPORT_DOCUMENTS = """
SELECT r.id, t.lexemes, t.counts
  FROM (SELECT id, v, ts_rank(v, %(q)s::tsquery) AS rank
          FROM (SELECT id, to_tsvector('english',
                         concat_ws(E'\\n', title, left(description, %(chars)s))) AS v
                  FROM cases_report
                 WHERE status = 'new' AND id <> %(exclude)s AND {where}) s
         ORDER BY rank DESC, id DESC
         LIMIT %(limit)s) r
  CROSS JOIN LATERAL (
        SELECT array_agg(lexeme) AS lexemes,
               array_agg(coalesce(array_length(positions, 1), 1)) AS counts
          FROM unnest(r.v)) t
 ORDER BY r.rank DESC, r.id DESC
"""


_term_shares: tuple[float, dict[str, float]] = (-math.inf, {})


def _common_terms() -> dict[str, float]:
    """The most common terms of the case documents and the share of documents with each."""
    global _term_shares
    read_at, shares = _term_shares
    if time.monotonic() - read_at < TERM_STATS_SECONDS:
        return shares
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'cases_casesearchdocument' "
            "AND attname = 'document'"
        )
        row = cursor.fetchone()
    # The frequencies array ends with three summary figures: zip stops at the terms.
    shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _term_shares = (time.monotonic(), shares)
    return shares


def _rare_terms(terms: Terms) -> Terms:
    shares = _common_terms()
    order = sorted(terms, key=lambda t: (shares.get(t, 0.0), -terms[t], t))
    rare = [t for t in order if shares.get(t, 0.0) < COMMON_TERM_SHARE][:RARE_TERMS]
    return {t: terms[t] for t in rare or order[:5]}


def _tsquery(terms: Terms) -> str:
    """The finding's most frequent terms, OR-ed, as tsquery input (already normalised)."""
    best = sorted(terms, key=lambda t: (-terms[t], t))[:QUERY_TERMS]
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in best)
    return " | ".join(quoted)


def _documents(sql: str, where: str, params: dict[str, Any]) -> dict[int, Terms]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where=where), params)
        return {
            pk: dict(zip(lexemes or [], counts or [], strict=True))
            for pk, lexemes, counts in cursor.fetchall()
        }


def _pool_postgresql(finding: Finding) -> Pool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, coalesce(array_length(positions, 1), 1) "
            "FROM unnest(to_tsvector('english', %s))",
            [finding.text],
        )
        pool = Pool(query=dict(cursor.fetchall()))
    params = {
        "q": _tsquery(pool.query),
        "limit": CANDIDATE_POOL,
        "chars": TEXT_CHARS,
        "exclude": finding.exclude_case or -1,
    }
    scope = _package_scope(finding)
    if scope is None:
        rare = {**params, "q": _tsquery(_rare_terms(pool.query))}
        pool.cases = _documents(_CASE_DOCUMENTS, "document @@ %(q)s::tsquery", rare)
    elif scope:
        pool.cases = _documents(_CASE_DOCUMENTS, "case_id = ANY(%(ids)s)", {**params, "ids": scope})
    pool.aliases = _alias_cases(finding.aliases, finding.exclude_case)
    missing = [pk for pk in pool.aliases if pk not in pool.cases]
    if missing:
        pool.cases.update(
            _documents(_CASE_DOCUMENTS, "case_id = ANY(%(ids)s)", {**params, "ids": missing})
        )
    params["exclude"] = finding.exclude_report or -1
    if scope is not None:
        params["package"] = finding.package
        pool.reports = _documents(_REPORT_DOCUMENTS, "package = %(package)s", params)
    else:
        params["ids"] = _similar_report_titles(finding)
        if params["ids"]:
            pool.reports = _documents(_REPORT_DOCUMENTS, "id = ANY(%(ids)s)", params)
    return pool


# -- elsewhere (the SQLite demo): the same scoring over texts read from the rows


def _case_texts(case_ids: Sequence[int]) -> dict[int, str]:
    texts: dict[int, list[str]] = {
        pk: [title, summary[:TEXT_CHARS]]
        for pk, title, summary in Case.objects.filter(pk__in=case_ids).values_list(
            "pk", "title", "summary"
        )
    }
    for model in (Vulnerability, Report):
        for case_id, title, description in (
            model.objects.filter(case_id__in=case_ids)
            .order_by("pk")
            .values_list("case_id", "title", "description")
        ):
            texts[case_id] += [title, description[:TEXT_CHARS]]
    return {pk: "\n".join(parts) for pk, parts in texts.items()}


def _pool_python(finding: Finding) -> Pool:
    pool = Pool(query=python_terms(finding.text))
    scope = _package_scope(finding)
    if scope is None:
        scope = list(
            Case.objects.filter(state__in=OPEN_STATES)
            .exclude(pk=finding.exclude_case)
            .order_by("-updated_at")
            .values_list("pk", flat=True)[:SCAN_LIMIT]
        )
        reports = _open_reports(finding).order_by("-received_at")
    else:
        reports = _open_reports(finding).filter(package=finding.package)
    texts = _case_texts(scope)
    aliases = finding.aliases
    for pk, text in texts.items():
        shared = {a for a in aliases if a.lower() in text.lower()}
        if shared:
            pool.aliases[pk] = shared
    report_texts = {
        pk: f"{title}\n{description[:TEXT_CHARS]}"
        for pk, title, description in reports.values_list("pk", "title", "description")[:SCAN_LIMIT]
    }

    def best(candidates: dict[int, str]) -> dict[int, Terms]:
        """The CANDIDATE_POOL sharing the most term occurrences with the finding."""
        terms = {pk: python_terms(text) for pk, text in candidates.items()}
        common = {
            pk: sum(min(n, pool.query.get(t, 0)) for t, n in doc.items())
            for pk, doc in terms.items()
        }
        order = sorted(terms, key=lambda pk: (-common[pk], -pk))[:CANDIDATE_POOL]
        return {pk: terms[pk] for pk in order}

    pool.cases = best(texts)
    for pk in pool.aliases:
        pool.cases.setdefault(pk, python_terms(texts[pk]))
    pool.reports = best(report_texts)
    return pool


# -- scoring


def pool_for(finding: Finding) -> Pool:
    """The finding's terms and the candidates' read for it, best full-text rank first."""
    return _pool_postgresql(finding) if connection.vendor == "postgresql" else _pool_python(finding)


def find_candidates(
    finding: Finding, *, limit: int | None = 10, min_score: float = LIST_THRESHOLD
) -> list[Candidate]:
    """Open cases and untriaged reports that may describe the same flaw, best first."""
    pool = pool_for(finding)
    keys = [("case", pk) for pk in pool.cases] + [("report", pk) for pk in pool.reports]
    documents = [pool.cases[pk] if kind == "case" else pool.reports[pk] for kind, pk in keys]
    matches = dict(zip(keys, tfidf_similarities(pool.query, documents), strict=True))
    ranks = {key: i for i, key in enumerate(keys)}
    ordered = sorted((m.similarity for m in matches.values()), reverse=True)

    def signals(key: tuple[str, int], packages: list[str], vers: list[str], cwes: list[str]):
        match = matches[key]
        if len(ordered) == 1:
            best_other = 0.0
        else:
            best_other = ordered[1] if match.similarity == ordered[0] else ordered[0]
        if not finding.package or not packages:
            package = "unknown"
        else:
            package = "same" if finding.package in packages else "different"
        return Signals(
            package=package,
            versions=best_versions_relation(finding.vers, vers) if package == "same" else None,
            cwe=best_cwe_relation(finding.cwe, cwes),
            text=match.similarity,
            lead=match.similarity - best_other,
            shared_terms=match.shared,
            aliases=tuple(sorted(pool.aliases.get(key[1], ()))) if key[0] == "case" else (),
            pool_size=len(keys),
            retrieval_rank=ranks[key],
        )

    candidates: list[Candidate] = []
    cases = Case.objects.filter(pk__in=list(pool.cases)).prefetch_related(
        "vulnerabilities__affected", "projects"
    )
    for case in cases:
        vulns = list(case.vulnerabilities.all())
        affected = [a for v in vulns for a in v.affected.all()]
        mine = [a.vers for a in affected if a.purl == finding.package and a.vers]
        s = signals(
            ("case", case.pk),
            [a.purl for a in affected]
            + [p for project in case.projects.all() for p in project.purls],
            mine or [a.vers for a in affected if a.vers],
            [v.cwe for v in vulns if v.cwe],
        )
        candidates.append(Candidate(calibrated_score(s), explain(s, finding.package), s, case=case))
    reports = Report.objects.filter(pk__in=list(pool.reports)).only(
        "pk", "title", "package", "vers", "purl", "cwe", "received_at", "status"
    )
    for report in reports:
        s = signals(
            ("report", report.pk),
            [report.package] if report.package else [],
            [v for v in (report.vers or vers_of_purl(report.purl),) if v],
            [report.cwe] if report.cwe else [],
        )
        candidates.append(
            Candidate(calibrated_score(s), explain(s, finding.package), s, report=report)
        )
    candidates = [c for c in candidates if c.score >= min_score]
    # A case ahead of a report of equal score: merging into a case is the useful action.
    candidates.sort(key=lambda c: (c.score, c.kind == "case", c.signals.text), reverse=True)
    return candidates if limit is None else candidates[:limit]


def candidates_for(
    report: Report, *, limit: int | None = 10, min_score: float = LIST_THRESHOLD
) -> list[Candidate]:
    return find_candidates(Finding.of_report(report), limit=limit, min_score=min_score)


def rebuild_documents() -> None:
    """Recompute every case's search document (after a load that ran with triggers off)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT cases_refresh_search_documents(ARRAY(SELECT id FROM cases_case))")


# --------------------------------------------------------------------------- figures


def intake_figures(user: AnyUser) -> dict[str, int]:
    """Dashboard figures: reports received, merged as duplicates, reading time saved.

    Coordinators see the whole intake; anyone else the figures of their own reports.
    """
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
