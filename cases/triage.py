"""Triage helpers the report page uses.

``candidates_for(report)`` lists possible duplicates of a report (open cases and other
reports describing the same flaw). It is only ever shown to SIRT members. The API
engineer replaces this body with the real duplicate detection; the template
``cases/_duplicate_candidates.html`` renders whatever it returns.
"""

from __future__ import annotations

from typing import Any

from cases import duplicates
from cases.models import Report


def candidates_for(report: Report) -> list[Any]:
    """Best first; each has ``score``/``percent``, ``reasons`` and a ``case`` or ``report``."""
    return duplicates.candidates_for(report)
