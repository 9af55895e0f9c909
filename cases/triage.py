"""Triage helpers the report page uses.

``candidates_for(report)`` lists possible duplicates of a report (open cases and other
untriaged reports describing the same flaw), best first, from ``cases.duplicates``.
It is only ever shown to SIRT members. The template ``cases/_duplicate_candidates.html``
shows each candidate's calibrated score, a "likely duplicate" label from
``duplicates.LIKELY_THRESHOLD`` on, and the reasons behind the score.
"""

from __future__ import annotations

from cases import duplicates
from cases.models import Report


def candidates_for(report: Report) -> list[duplicates.Candidate]:
    """Best first: ``score`` (calibrated), ``percent``, ``likely``, ``reasons``, and a
    ``case`` or a ``report``."""
    return duplicates.candidates_for(report)
