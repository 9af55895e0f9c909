"""How well duplicate detection works on real advisories: ``make eval-dedupe``.

A labelled set (the format of ../shared/eval/dedupe, see its README) holds pairs of
independent write-ups of one vulnerability (``pysec``: the PyPA record, mostly the CVE
text; ``ghsa``: GitHub's, the maintainer's advisory) and other vulnerabilities of the
same packages. The protocol, run once in each direction:

1. one write-up of every pair, and every other vulnerability, is submitted by a
   reporter and opened as a case by a coordinator (``services.submit_report`` then
   ``services.open_case_from_report``: the real intake);
2. the other write-up of every pair is submitted by a second reporter, scored against
   every open case (``duplicates.find_candidates``), then rejected so that it is not a
   candidate for the next one.

Identifiers are the labels: CVE, GHSA and PYSEC ids are removed from every text before
anything is submitted. What is printed: recall@1 and recall@5 of the true case, the
false-match rate on the other cases of the same package at the "likely duplicate"
threshold, and a calibration table (score band -> observed share of true duplicates),
overall and per package, with the constants in the code and cross-validated (each
package scored by constants fitted on the other packages only).

Everything happens in a throwaway database (the test database machinery, created and
dropped by ``manage.py eval_dedupe``), inside a transaction rolled back after each
direction.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from univers.version_range import VersionRange

from cases import duplicate_signals, duplicates, services, validators
from cases.models import Organisation, Report
from cases.types import User

DIRECTIONS = ("pysec-as-case", "ghsa-as-case")
BANDS = 10
TITLE_CHARS = 120
# L2 penalty of the logistic fit (not on the intercept): a few hundred positives only.
L2 = 1.0

_LABEL_RE = re.compile(
    r"\b(?:CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)\b", re.IGNORECASE
)


# --------------------------------------------------------------------------- the set


@dataclass(frozen=True)
class WriteUp:
    """One write-up as a reporter would submit it, ids stripped; ``key`` is the label."""

    key: str
    package: str
    title: str
    description: str
    purl: str
    vers: str
    cwe: str = ""
    cvss_vector: str = ""


@dataclass(frozen=True)
class LabelledSet:
    pairs: list[tuple[WriteUp, WriteUp]]  # (pysec, ghsa), both keyed by the pair
    others: list[WriteUp]


def strip_labels(text: str) -> str:
    """The text without CVE, GHSA and PYSEC ids (they are the labels, never input)."""
    return re.sub(r"[ \t]{2,}", " ", _LABEL_RE.sub("", text or ""))


def osv_vers(ranges: Iterable[Mapping[str, Any]], ecosystem: str) -> str:
    """OSV ``ECOSYSTEM`` ranges as one vers range (``vers:pypi/>=1.0|<1.4.2``)."""
    constraints: list[str] = []
    for r in ranges:
        if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        low: str | None = None
        open_ended = False
        for event in r.get("events", []):
            if "introduced" in event:
                low = None if event["introduced"] in ("0", "") else event["introduced"]
                open_ended = True
                continue
            for key, op in (("fixed", "<"), ("last_affected", "<="), ("limit", "<")):
                if key in event:
                    constraints += [f">={low}"] if low else []
                    constraints.append(f"{op}{event[key]}")
                    open_ended = False
        if open_ended:
            constraints.append(f">={low}" if low else "*")
    if not constraints:
        return ""
    if "*" in constraints:
        return f"vers:{ecosystem}/*"
    try:
        return str(VersionRange.from_string(f"vers:{ecosystem}/{'|'.join(constraints)}"))
    except Exception:  # univers raises many types; a range it cannot read is left out
        return ""


def _title_of(text: str) -> str:
    """A record without a summary: its first sentence, as a reporter would title it."""
    flat = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    if len(sentence) <= TITLE_CHARS:
        return sentence
    return sentence[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def _clean(normalise: Callable[[str], str], value: str) -> str:
    """A field as the intake form would store it; a value it refuses is left out."""
    try:
        return normalise(value)
    except ValidationError:
        return ""


def _write_up(key: str, package: str, purl: str, text: str, ranges: Any, **extra: str) -> WriteUp:
    ecosystem = purl.split(":", 1)[1].split("/", 1)[0] if ":" in purl else "pypi"
    description = strip_labels(text)
    title = strip_labels(extra.pop("title", "")).strip() or _title_of(description)
    return WriteUp(
        key=key,
        package=package,
        title=title,
        description=description,
        purl=_clean(validators.normalise_purl, purl),
        vers=_clean(validators.normalise_vers, osv_vers(ranges or [], ecosystem)),
        cwe=_clean(validators.normalise_cwe, extra.get("cwe", "")),
        cvss_vector=_clean(validators.normalise_cvss, extra.get("cvss_vector", "")),
    )


def load_set(folder: Path) -> LabelledSet:
    pairs: list[tuple[WriteUp, WriteUp]] = []
    others: list[WriteUp] = []
    for line in (folder / "pairs.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        p = json.loads(line)
        key = f"pair:{len(pairs)}"
        ghsa = p["ghsa"]
        pairs.append(
            (
                _write_up(
                    key, p["package"], p["purl"], p["pysec"]["details"], p["pysec"]["ranges"]
                ),
                _write_up(
                    key,
                    p["package"],
                    p["purl"],
                    ghsa.get("details", ""),
                    ghsa.get("ranges"),
                    title=ghsa.get("summary", ""),
                    cwe=(ghsa.get("cwe_ids") or [""])[0],
                    cvss_vector=ghsa.get("cvss") or "",
                ),
            )
        )
    purls = {a.package: a.purl for a, _ in pairs}
    for line in (folder / "negatives.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        n = json.loads(line)
        purl = n.get("purl") or purls.get(n["package"]) or f"pkg:pypi/{n['package']}"
        others.append(
            _write_up(f"other:{len(others)}", n["package"], purl, n["details"], n.get("ranges"))
        )
    return LabelledSet(pairs=pairs, others=others)


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Scored:
    """One finding against one open case of its package."""

    direction: str
    package: str
    query: str
    case: str
    true: bool
    signals: duplicates.Signals
    score: float
    # The same finding and case as if the case were its package's only open one (text
    # compared with it alone, IDF over the two): how small packages fare.
    alone: duplicates.Signals | None = None


def _submit(reporter: User, w: WriteUp) -> Report:
    report, _ = services.submit_report(
        reporter=reporter,
        title=w.title,
        description=w.description,
        purl=w.purl,
        vers=w.vers,
        cwe=w.cwe,
        cvss_vector=w.cvss_vector,
    )
    return report


def run_direction(data: LabelledSet, direction: str) -> tuple[list[Scored], list[float]]:
    """Load, triage and score one direction; nothing of it stays in the database.

    Returns the scored pairs and the seconds each finding's lookup took."""
    as_case = 0 if direction == "pysec-as-case" else 1
    rows: list[Scored] = []
    seconds: list[float] = []
    with transaction.atomic():
        users = get_user_model().objects
        coordinator = users.create_user("eval-coordinator", "coordinator@eval.invalid")
        Organisation.create(name="Eval SIRT", slug="eval-sirt", kind="sirt").add_member(coordinator)
        case_keys: dict[int, str] = {}
        # A reporter each (and a second one for each finding below): a few records of
        # the set have the very same text, which one reporter's resubmission check
        # would store as one report.
        for i, w in enumerate([pair[as_case] for pair in data.pairs] + data.others):
            first = users.create_user(f"eval-reporter-{i}", f"reporter-{i}@eval.invalid")
            case = services.open_case_from_report(_submit(first, w), coordinator)
            case_keys[case.pk] = w.key
        for i, pair in enumerate(data.pairs):
            finding = pair[1 - as_case]
            second = users.create_user(f"eval-second-{i}", f"second-{i}@eval.invalid")
            report = _submit(second, finding)
            started = time.perf_counter()
            candidates = duplicates.candidates_for(report, limit=None, min_score=0.0)
            seconds.append(time.perf_counter() - started)
            pool = duplicates.pool_for(duplicates.Finding.of_report(report))
            for c in candidates:
                if c.case is None:
                    continue
                rows.append(
                    Scored(
                        direction=direction,
                        package=finding.package,
                        query=f"{direction}:{finding.key}",
                        case=case_keys[c.case.pk],
                        true=case_keys[c.case.pk] == finding.key,
                        signals=c.signals,
                        score=c.score,
                        alone=_alone(pool, c),
                    )
                )
            if not any(r.query == f"{direction}:{finding.key}" for r in rows):
                rows.append(_missed(direction, finding))
            services.reject_report(report, coordinator, "Evaluation finding.")
        transaction.set_rollback(True)
    return rows, seconds


def _alone(pool: duplicates.Pool, candidate: duplicates.Candidate) -> duplicates.Signals:
    assert candidate.case is not None
    text = duplicate_signals.tfidf_similarities(pool.query, [pool.cases[candidate.case.pk]])[0]
    return dataclasses.replace(
        candidate.signals, text=text.similarity, lead=text.similarity, pool_size=1
    )


def _missed(direction: str, finding: WriteUp) -> Scored:
    """A finding for which no case came back at all: counted, as a miss."""
    signals = duplicates.Signals(package="same", versions=None, cwe=None, text=0.0, lead=0.0)
    return Scored(direction, finding.package, f"{direction}:{finding.key}", "", False, signals, 0)


# --------------------------------------------------------------------------- the fit


def _dot(w: Sequence[float], x: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(w, x, strict=True))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a handful of unknowns)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i and m[i][i]:
                f = m[r][i] / m[i][i]
                m[r] = [x - f * y for x, y in zip(m[r], m[i], strict=True)]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def fit(rows: Sequence[Scored], features: Sequence[str] | None = None) -> dict[str, float]:
    """Logistic regression (Newton's method, L2 except on the intercept) of ``true`` on the
    signals' features, with the hand-set priors as a fixed offset."""
    names = list(features or duplicates.CALIBRATION)
    data = [
        ([r.signals.features()[n] for n in names], float(r.true), duplicates.prior_logit(r.signals))
        for r in rows
        if r.case
    ]
    w = [0.0] * len(names)
    for _ in range(100):
        grad = [0.0] * len(names)
        hess = [[0.0] * len(names) for _ in names]
        for x, y, offset in data:
            p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, _dot(w, x) + offset))))
            for i, xi in enumerate(x):
                grad[i] += (p - y) * xi
                for j, xj in enumerate(x):
                    hess[i][j] += p * (1 - p) * xi * xj
        for i, name in enumerate(names):
            if name != "intercept":
                grad[i] += L2 * w[i]
                hess[i][i] += L2
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return {**dict.fromkeys(duplicates.CALIBRATION, 0.0), **dict(zip(names, w, strict=True))}


def rescored(rows: Sequence[Scored], coefficients: Mapping[str, float]) -> list[Scored]:
    return [
        dataclasses.replace(
            r, score=duplicates.calibrated_score(r.signals, coefficients) if r.case else 0.0
        )
        for r in rows
    ]


def alone(
    rows: Sequence[Scored], coefficients: Mapping[str, float]
) -> tuple[list[bool], list[bool]]:
    """Whether each true case, and each wrong one, reaches the threshold when it is its
    package's only open case."""
    true: list[bool] = []
    wrong: list[bool] = []
    for r in rows:
        if r.alone is not None:
            score = duplicates.calibrated_score(r.alone, coefficients)
            (true if r.true else wrong).append(score >= duplicates.LIKELY_THRESHOLD)
    return true, wrong


def _alone_line(rows: Sequence[Scored], cross_validated: bool) -> str:
    true: list[bool] = []
    wrong: list[bool] = []
    packages: Sequence[str | None] = [None]
    if cross_validated:
        packages = sorted({r.package for r in rows})
    for package in packages:
        mine = [r for r in rows if package is None or r.package == package]
        others = [r for r in rows if r.package != package]
        t, w = alone(mine, fit(others) if cross_validated else duplicates.CALIBRATION)
        true += t
        wrong += w
    return (
        f"{sum(true) / (len(true) or 1):.1%} of true cases 'likely', "
        f"{sum(wrong) / (len(wrong) or 1):.1%} of wrong ones"
    )


def leave_one_package_out(
    rows: Sequence[Scored], features: Sequence[str] | None = None
) -> list[Scored]:
    """Each package scored by constants fitted on the other packages only."""
    out: list[Scored] = []
    for package in sorted({r.package for r in rows}):
        coefficients = fit([r for r in rows if r.package != package], features)
        out += rescored([r for r in rows if r.package == package], coefficients)
    return out


# --------------------------------------------------------------------------- the figures


@dataclass(frozen=True)
class Figures:
    findings: int
    recall_at_1: float
    recall_at_5: float
    false_match_rate: float  # wrong cases of the same package at or above the threshold
    findings_with_false_match: float  # findings with at least one such wrong case
    true_above_threshold: float  # findings whose true case reaches the threshold
    wrong_pairs: int
    bands: list[tuple[int, int, float, float]]  # (band start %, count, mean score, share)


def figures(rows: Sequence[Scored], threshold: float = duplicates.LIKELY_THRESHOLD) -> Figures:
    by_query: dict[str, list[Scored]] = defaultdict(list)
    for r in rows:
        by_query[r.query].append(r)
    at1 = at5 = with_false = true_above = 0
    for scored in by_query.values():
        ranked = sorted(
            (r for r in scored if r.case),
            key=lambda r: (r.score, r.signals.text, -r.signals.retrieval_rank),
            reverse=True,
        )
        rank = next((i for i, r in enumerate(ranked) if r.true), None)
        at1 += rank == 0
        at5 += rank is not None and rank < 5
        with_false += any(not r.true and r.score >= threshold for r in ranked)
        true_above += any(r.true and r.score >= threshold for r in ranked)
    wrong = [r for r in rows if r.case and not r.true]
    n = len(by_query) or 1
    bands = []
    for b in range(BANDS):
        inside = [r for r in rows if r.case and min(int(r.score * BANDS), BANDS - 1) == b]
        if inside:
            bands.append(
                (
                    b * 100 // BANDS,
                    len(inside),
                    sum(r.score for r in inside) / len(inside),
                    sum(r.true for r in inside) / len(inside),
                )
            )
    return Figures(
        findings=len(by_query),
        recall_at_1=at1 / n,
        recall_at_5=at5 / n,
        false_match_rate=sum(r.score >= threshold for r in wrong) / (len(wrong) or 1),
        findings_with_false_match=with_false / n,
        true_above_threshold=true_above / n,
        wrong_pairs=len(wrong),
        bands=bands,
    )


def retrieval_recall(rows: Sequence[Scored], depth: int) -> float:
    """Share of findings whose true case the full-text ranking put in its first ``depth``
    (what decides whether it is scored at all when a package has more open cases than
    ``duplicates.CANDIDATE_POOL``)."""
    queries = {r.query for r in rows}
    hits = {r.query for r in rows if r.true and r.signals.retrieval_rank < depth}
    return len(hits) / (len(queries) or 1)


def report(rows: Sequence[Scored], seconds: Sequence[float], write: Callable[[str], Any]) -> None:
    threshold = duplicates.LIKELY_THRESHOLD
    cross = leave_one_package_out(rows)
    write(
        f"Findings scored: {len({r.query for r in rows})} "
        f"({', '.join(sorted({r.direction for r in rows}))}); "
        f"'likely duplicate' from {threshold:.0%}.\n"
    )
    write("## Overall\n")
    write(
        "| scores | recall@1 | recall@5 | false matches (same package) "
        "| findings with a false match | true case 'likely' |"
    )
    write("|---|---|---|---|---|---|")
    text_only = ["intercept", "text", "lead"]
    for label, scored in (
        ("constants in the code", rows),
        ("leave-one-package-out", cross),
        ("leave-one-package-out, text only", leave_one_package_out(rows, text_only)),
    ):
        f = figures(scored, threshold)
        write(
            f"| {label} | {f.recall_at_1:.2f} | {f.recall_at_5:.2f} "
            f"| {f.false_match_rate:.1%} of {f.wrong_pairs} | {f.findings_with_false_match:.1%} "
            f"| {f.true_above_threshold:.1%} |"
        )
    write(
        f"\nFull-text retrieval put the true case in the first 10 for "
        f"{retrieval_recall(rows, 10):.0%} of the findings, in the first "
        f"{duplicates.CANDIDATE_POOL} (the pool) for "
        f"{retrieval_recall(rows, duplicates.CANDIDATE_POOL):.0%}. One lookup took "
        f"{statistics.median(seconds) * 1000:.0f} ms (median), {max(seconds) * 1000:.0f} ms "
        f"at most.\n"
    )
    write(
        "Were each case its package's only open case (text compared with it alone): "
        f"{_alone_line(rows, False)}; leave-one-package-out: {_alone_line(rows, True)}.\n"
    )
    for label, scored in (("constants in the code", rows), ("leave-one-package-out", cross)):
        write(f"## Calibration ({label})\n")
        write("| score band | candidates | mean score | observed share of true duplicates |")
        write("|---|---|---|---|")
        for start, count, mean, share in figures(scored, threshold).bands:
            write(f"| {start}-{start + 100 // BANDS}% | {count} | {mean:.0%} | {share:.0%} |")
        write("")
    write("## Per package (constants in the code; leave-one-package-out in brackets)\n")
    write("| package | findings | recall@1 | recall@5 | false matches | open cases |")
    write("|---|---|---|---|---|---|")
    for package in sorted({r.package for r in rows}):
        mine = [r for r in rows if r.package == package]
        f, c = figures(mine, threshold), figures([r for r in cross if r.package == package])
        cases = max(r.signals.pool_size for r in mine)
        write(
            f"| {package} | {f.findings} | {f.recall_at_1:.2f} ({c.recall_at_1:.2f}) "
            f"| {f.recall_at_5:.2f} ({c.recall_at_5:.2f}) "
            f"| {f.false_match_rate:.1%} ({c.false_match_rate:.1%}) | {cases} |"
        )
    write("")


def fitted_constants(rows: Sequence[Scored]) -> str:
    coefficients = fit(rows)
    body = "\n".join(f'    "{k}": {v:.2f},' for k, v in coefficients.items())
    return f"CALIBRATION: dict[str, float] = {{\n{body}\n}}"
