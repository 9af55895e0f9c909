"""The signals duplicate detection weighs (``cases.duplicates``): how two weaknesses
relate in the CWE hierarchy, how two affected version ranges relate, and how similar
two texts are once the words every candidate shares are discounted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cwe_tree import query as cwe_tree
from packageurl import PackageURL

# --------------------------------------------------------------------------- weaknesses


@dataclass(frozen=True)
class CweRelation:
    """How two CWE ids relate in the research view: same, close, related or unrelated."""

    kind: str
    reason: str


@lru_cache(maxsize=2048)
def _cwe_ancestors(cwe: str) -> dict[str, int]:
    """The CWE itself and every ancestor, with the number of ChildOf steps up to it."""
    distances = {cwe: 0}
    frontier = [cwe]
    while frontier:
        step = []
        for node in frontier:
            for parent in cwe_tree.get_parents(node):
                if parent not in distances:
                    distances[parent] = distances[node] + 1
                    step.append(parent)
        frontier = step
    return distances


def _normalise_cwe(value: str) -> str:
    value = (value or "").strip().upper()
    return f"CWE-{value}" if value.isdigit() else value


@lru_cache(maxsize=4096)
def cwe_relation(a: str, b: str) -> CweRelation | None:
    """None when either is missing or not in the research view (a category, say)."""
    a, b = _normalise_cwe(a), _normalise_cwe(b)
    if not a or not b:
        return None
    if a == b:
        return CweRelation("same", f"same weakness {a}")
    if cwe_tree.get_node(a) is None or cwe_tree.get_node(b) is None:
        return None
    up_a, up_b = _cwe_ancestors(a), _cwe_ancestors(b)
    common = set(up_a) & set(up_b)
    if not common:
        return CweRelation("unrelated", f"{a} and {b} are unrelated weaknesses")
    lca = min(common, key=lambda c: (up_a[c] + up_b[c], c))
    distance = up_a[lca] + up_b[lca]
    if cwe_tree.get_node(lca).abstract == "Pillar" and distance > 1:
        return CweRelation("unrelated", f"{a} and {b} only share the pillar {lca}")
    kind = "close" if distance <= 2 else "related"
    if lca == b:
        verb = "a child" if distance == 1 else "a descendant"
        return CweRelation(kind, f"{a} is {verb} of {b}")
    if lca == a:
        verb = "a child" if distance == 1 else "a descendant"
        return CweRelation(kind, f"{b} is {verb} of {a}")
    if up_a[lca] == 1 and up_b[lca] == 1:
        return CweRelation(kind, f"{a} and {b} are both children of {lca}")
    return CweRelation(kind, f"{a} and {b} are related through {lca}")


_CWE_ORDER = {"same": 0, "close": 1, "related": 2, "unrelated": 3}


def best_cwe_relation(cwe: str, others: Sequence[str]) -> CweRelation | None:
    relations = [r for r in (cwe_relation(cwe, o) for o in others) if r is not None]
    return min(relations, key=lambda r: _CWE_ORDER[r.kind]) if relations else None


# --------------------------------------------------------------------------- versions

Interval = tuple[Any, bool, Any, bool]


@lru_cache(maxsize=4096)
def _intervals(vers: str) -> tuple[str, tuple[Interval, ...]] | None:
    """A vers range as (scheme, ((low, low_inclusive, high, high_inclusive), ...))."""
    from univers.version_range import VersionRange

    try:
        vr = VersionRange.from_string(vers)
    except Exception:  # univers raises many types for bad input; unknown is not an overlap
        return None
    intervals: list[Interval] = []
    low, low_inc = None, False
    for c in sorted(vr.constraints, key=lambda c: (c.version is not None, c.version)):
        if c.comparator == "*":
            return vr.scheme, ((None, False, None, False),)
        if c.comparator == "=":
            intervals.append((c.version, True, c.version, True))
        elif c.comparator in (">", ">="):
            low, low_inc = c.version, c.comparator == ">="
        elif c.comparator in ("<", "<="):
            intervals.append((low, low_inc, c.version, c.comparator == "<="))
            low, low_inc = None, False
    if low is not None:
        intervals.append((low, low_inc, None, False))
    return vr.scheme, tuple(intervals)


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


def versions_relation(a: str, b: str) -> str | None:
    """'identical', 'overlap', 'disjoint', or None when unknown.

    Identical means the same affected range, bounds and all. The same single version
    is only an overlap: scanners all look at the latest release, so two findings that
    name it say nothing about being one flaw.
    """
    overlap = versions_overlap(a, b)
    if overlap is None:
        return None
    if not overlap:
        return "disjoint"
    intervals = _intervals(a)
    points = intervals is not None and all(
        lo == hi and lo is not None for lo, _, hi, _ in intervals[1]
    )
    return "identical" if intervals == _intervals(b) and not points else "overlap"


_VERSIONS_ORDER = {"identical": 0, "overlap": 1, "disjoint": 2}


def best_versions_relation(vers: str, others: Sequence[str]) -> str | None:
    relations = [r for r in (versions_relation(vers, o) for o in others) if r is not None]
    return min(relations, key=_VERSIONS_ORDER.__getitem__) if relations else None


def vers_of_purl(purl: str) -> str:
    """``pkg:pypi/x@1.2.3`` -> ``vers:pypi/1.2.3``: the version a scanner looked at."""
    try:
        parsed = PackageURL.from_string(purl) if purl else None
    except ValueError:
        return ""
    if parsed is None or not parsed.version:
        return ""
    return f"vers:{parsed.type}/{parsed.version}"


# --------------------------------------------------------------------------- text

Terms = dict[str, int]  # term -> number of occurrences


@dataclass(frozen=True)
class TextMatch:
    similarity: float
    shared: tuple[str, ...]


def _weigh(terms: Mapping[str, int], idf: Mapping[str, float]) -> dict[str, float]:
    return {t: (1.0 + math.log(n)) * idf[t] for t, n in terms.items() if n > 0}


def tfidf_similarities(query: Mapping[str, int], documents: Sequence[Terms]) -> list[TextMatch]:
    """Cosine of TF-IDF vectors (sublinear tf), the IDF taken over these documents.

    The documents are the candidates of one package, so a term all of them use (the
    package's name, its components) weighs little and a term only one shares with the
    query weighs most. Smoothed so that a pool of one or two still compares sensibly.
    """
    n = len(documents) + 1
    df: Counter[str] = Counter(query.keys())
    for doc in documents:
        df.update(doc.keys())
    idf = {t: math.log((n + 1) / (k + 1)) + 1.0 for t, k in df.items()}
    q = _weigh(query, idf)
    q_norm = math.sqrt(sum(w * w for w in q.values()))
    matches = []
    for doc in documents:
        d = _weigh(doc, idf)
        d_norm = math.sqrt(sum(w * w for w in d.values()))
        products = {t: w * d[t] for t, w in q.items() if t in d}
        similarity = sum(products.values()) / (q_norm * d_norm) if q_norm and d_norm else 0.0
        # Shown as the reason: the most distinctive shared terms, not the package's name.
        shared = sorted(products, key=lambda t: (-idf[t], -products[t], t))[:5]
        matches.append(TextMatch(min(1.0, similarity), tuple(shared)))
    return matches


_WORD = re.compile(r"[a-z0-9][a-z0-9_.]*[a-z0-9]")
_STOP_WORDS = frozenset(
    (  # noqa: SIM905 - a sentence reads better than 50 quoted words
        "about after all also an and any are as at be been before but by can could does for "
        "from has have if in into is it its may not of on or such than that the their then "
        "there these this to via was were when where which while with would"
    ).split()
)


def python_terms(text: str) -> Terms:
    """Terms without PostgreSQL (the SQLite demo): lower-cased words, common ones dropped."""
    words = _WORD.findall((text or "").lower())
    return dict(Counter(w for w in words if w not in _STOP_WORDS))
