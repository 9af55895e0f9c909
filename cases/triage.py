"""Triage helpers the report page uses.

``candidates_for(report)`` lists possible duplicates of a report (open cases and other
untriaged reports describing the same flaw), best first, from ``cases.duplicates``.
It is only ever shown to SIRT members. ``explained_candidates(report)`` adds what the
template ``cases/_duplicate_candidates.html`` shows next to each calibrated score: the
reasons behind it in plain words, each marked as speaking for or against a duplicate
(a "likely duplicate" label from ``duplicates.LIKELY_THRESHOLD`` on).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases import duplicates
from cases.models import Case, Report

FOR, AGAINST, NEUTRAL = "for", "against", "neutral"
# Text similarity (TF-IDF cosine, 0-1) from which the words count for or against: the
# calibration weighs it strongly; below LOW texts share little beyond the package's
# vocabulary.
TEXT_HIGH = 0.3
TEXT_LOW = 0.1


@dataclass(frozen=True)
class Reason:
    text: str
    effect: str  # FOR, AGAINST or NEUTRAL

    @property
    def sign(self) -> str:
        return {FOR: "+", AGAINST: "−", NEUTRAL: "·"}[self.effect]


@dataclass
class Explained:
    """A duplicate candidate with its score explained in plain words."""

    candidate: duplicates.Candidate
    reasons: list[Reason]

    @property
    def case(self) -> Case | None:
        return self.candidate.case

    @property
    def report(self) -> Report | None:
        return self.candidate.report

    @property
    def percent(self) -> int:
        return self.candidate.percent

    @property
    def likely(self) -> bool:
        return self.candidate.likely

    @property
    def verdict(self) -> str:
        if self.candidate.signals.aliases:
            return "the same published flaw"
        if self.likely:
            return "more likely the same flaw than not"
        if self.candidate.score >= 0.2:
            return "possibly the same flaw"
        return "probably a different flaw"


def candidates_for(report: Report) -> list[duplicates.Candidate]:
    """Best first: ``score`` (calibrated), ``percent``, ``likely``, ``reasons``, and a
    ``case`` or a ``report``."""
    return duplicates.candidates_for(report)


def explained_candidates(report: Report) -> list[Explained]:
    return [Explained(c, plain_reasons(c.signals, report.package)) for c in candidates_for(report)]


def plain_reasons(signals: duplicates.Signals, package: str) -> list[Reason]:
    """What each signal says, strongest evidence first (``duplicates.explain`` in words a
    coordinator reads at a glance, with the direction it moves the score)."""
    reasons = [
        Reason(f"Both name {alias}: an identifier settles it.", FOR) for alias in signals.aliases
    ]
    reasons.append(
        {
            "same": Reason(f"Same package ({package}).", FOR),
            "unknown": Reason("One of them names no package.", AGAINST),
            "different": Reason("A different package: rarely the same flaw.", AGAINST),
        }[signals.package]
    )
    versions = {
        "identical": Reason("Exactly the same affected versions.", FOR),
        "overlap": Reason("The affected versions overlap.", NEUTRAL),
        "disjoint": Reason("The affected versions do not overlap.", AGAINST),
    }
    if signals.versions in versions:
        reasons.append(versions[signals.versions])
    if signals.cwe is not None:
        effect = {"same": FOR, "close": FOR, "related": NEUTRAL, "unrelated": AGAINST}
        reasons.append(Reason(f"Weakness: {signals.cwe.reason}.", effect[signals.cwe.kind]))
    percent = round(signals.text * 100)
    words = f" ({', '.join(signals.shared_terms)})" if signals.shared_terms else ""
    if signals.text >= TEXT_HIGH:
        reasons.append(Reason(f"The texts share distinctive words{words}: {percent}% alike.", FOR))
    elif signals.text >= TEXT_LOW:
        reasons.append(Reason(f"The texts are somewhat alike{words}: {percent}%.", NEUTRAL))
    else:
        reasons.append(Reason(f"The texts have little in common: {percent}% alike.", AGAINST))
    if signals.lead > 0 and signals.pool_size > 1:
        reasons.append(Reason(f"Its text is the closest of the {signals.pool_size} compared.", FOR))
    return reasons
