"""Vendor statuses in the advisory's content (cases/README.md, "Vendor status per
vulnerability").

At publication ``build_content`` freezes, per vulnerability, the statuses that the
vendors marked public (``public_vendor_statements``); the formats render them
(``formats/vendor_status.py``). In a draft shown to a participant, only the statuses
that participant may read on the case page remain (``readable_by``).
"""

from __future__ import annotations

from typing import Any

from cases import access
from cases.access import CaseAccess
from cases.models import Case, VendorStatus


def public_vendor_statements(case: Case) -> dict[int, list[dict[str, Any]]]:
    """``{vulnerability id: [statement, ...]}``: the statuses marked public of the
    organisations still taking part as vendors, by organisation name. Each statement:
    ``vendor`` (name), ``vendor_slug``, ``product`` (as the vendor named it, may be
    empty), ``status``, ``justification`` (for not affected), ``statement``."""
    vendors = access.vendor_participations(case).values("organisation_id")
    rows = (
        VendorStatus.objects.filter(vulnerability__case=case, public=True, organisation__in=vendors)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.vulnerability_id, []).append(
            {
                "vendor": row.organisation.name,
                "vendor_slug": row.organisation.slug,
                "product": row.product,
                "status": row.status,
                "justification": row.justification,
                "statement": row.statement,
            }
        )
    return out


def readable_by(vulnerability: dict[str, Any], case_access: CaseAccess) -> list[dict[str, Any]]:
    """A draft's statements as one participant may read them: their own organisation's,
    every one for the SIRT, the public ones of others only once published
    (``cases.access.visible_vendor_statuses``)."""
    readable = {
        (vulnerability_id, slug)
        for vulnerability_id, slug in access.visible_vendor_statuses(case_access).values_list(
            "vulnerability_id", "organisation__slug"
        )
    }
    return [
        s
        for s in vulnerability.get("vendor_statuses", [])
        if (vulnerability.get("vulnerability_id"), s["vendor_slug"]) in readable
    ]
