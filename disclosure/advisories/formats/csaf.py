"""CSAF 2.0 ``csaf_security_advisory`` documents.

Product tree, from the facts of ``affected.py``: vendor (the project's maintainer
organisation, or the distribution for its packages) > product (project or package)
> one ``product_version_range`` per affected range (its canonical vers) and one
``product_version`` per fixed, single affected or excluded version, each with its
purl. Every product without a fix gets a ``none_available`` remediation. Per vulnerability:
CVE, CWE (with its catalogue name, as test 6.1.11 requires), CVSS 3.x scores
(CSAF 2.0 has no CVSS 4.0 field, so a 4.0 vector goes into a note), product
status (known_affected / fixed), remediations (vendor_fix, workaround), notes,
acknowledgments of consenting credits. Tracking follows the published revisions.

A withdrawn advisory is its next final revision: the revision history says
"Withdrawn: <reason>" and a document note (category ``description``, title
"Reasoning for Withdrawal", the form CSAF 2.1's withdrawn profile asks for) gives
the reason; the rest stays as last published, so the file still validates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cvss import CVSS3
from django.conf import settings

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import (
    csaf_url,
    page_url,
    timestamp,
    vendor_status,
    workaround_for,
)
from disclosure.advisories.formats.affected import AffectedFacts, affected_facts
from disclosure.models import Advisory

GENERATOR = {"name": "Akrites", "version": "1.0"}


def render(advisory: Advisory, *, preview: bool = False) -> dict[str, Any]:
    return render_publication(publication_for(advisory, preview=preview))


def publisher() -> dict[str, str]:
    return {
        "category": settings.CSAF_PUBLISHER_CATEGORY,
        "name": settings.CSAF_PUBLISHER_NAME,
        "namespace": settings.CSAF_PUBLISHER_NAMESPACE,
        "contact_details": settings.CSAF_PUBLISHER_CONTACT,
        "issuing_authority": settings.CSAF_PUBLISHER_ISSUING_AUTHORITY,
    }


class _ProductTree:
    """Builds the branches, handing out one product id per distinct product."""

    def __init__(self) -> None:
        self.vendors: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.ids: dict[tuple[str, str, str], str] = {}

    def product(self, vendor: str, product: str, kind: str, name: str, purl: str) -> str:
        key = (purl, kind, name)
        if key in self.ids:
            return self.ids[key]
        product_id = f"CSAFPID-{len(self.ids) + 1:04d}"
        self.ids[key] = product_id
        label = f"{product} {name}"
        self.vendors.setdefault(vendor, {}).setdefault(product, []).append(
            {
                "category": kind,
                "name": name,
                "product": {
                    "name": f"{vendor} {label}".strip(),
                    "product_id": product_id,
                    "product_identification_helper": {"purl": purl},
                },
            }
        )
        return product_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "branches": [
                {
                    "category": "vendor",
                    "name": vendor,
                    "branches": [
                        {"category": "product_name", "name": product, "branches": versions}
                        for product, versions in products.items()
                    ],
                }
                for vendor, products in self.vendors.items()
            ]
        }


def _cvss3(vector: str, product_ids: list[str]) -> dict[str, Any]:
    c = CVSS3(vector)
    return {
        "products": product_ids,
        "cvss_v3": {
            "version": vector[5:8],
            "vectorString": c.clean_vector(),
            "baseScore": float(c.base_score),
            "baseSeverity": c.severities()[0].upper(),
        },
    }


@dataclass
class ProductStatus:
    """The product status of one vulnerability, gathered before it is written.

    Everything that decides a product's status for a vulnerability adds to these
    lists (today the affected ranges and fixes; a vendor's statement could add its
    own), and ``as_dict`` writes them once, in CSAF's order, each id in one list.
    """

    known_affected: list[str] = field(default_factory=list)
    known_not_affected: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    under_investigation: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        taken: set[str] = set()
        for name in ("known_affected", "fixed", "known_not_affected", "under_investigation"):
            ids = [i for i in dict.fromkeys(getattr(self, name)) if i not in taken]
            taken.update(ids)
            if ids:
                out[name] = ids
        return out


def _products(
    facts: AffectedFacts, tree: _ProductTree, status: ProductStatus, url: str
) -> list[dict[str, Any]]:
    """Put one package's facts in the tree and the status; its remediations."""
    vendor = facts.vendor or facts.product

    def version(v: str) -> str:
        return tree.product(vendor, facts.product, "product_version", v, f"{facts.purl}@{v}")

    affected = [version(v) for v in facts.affected_versions]
    if facts.intervals:
        # The range as a vers string (test 6.2.18): the same range OSV and CVE state.
        range_id = tree.product(
            vendor, facts.product, "product_version_range", facts.vers, facts.purl
        )
        affected.insert(0, range_id)
        status.known_not_affected += [version(v) for v in facts.excluded_versions]
    status.known_affected += affected
    status.fixed += [version(v) for v in facts.fixed_versions]
    remediations: list[dict[str, Any]] = []
    # An affected range with no upper end has no fix, whatever fixes other ranges have.
    unfixed = [i for i in facts.intervals if i.upper is None]
    if facts.fixed_versions:
        later = "" if unfixed else " or later"
        remediations.append(
            {
                "category": "vendor_fix",
                "details": f"Update {facts.product} to version "
                f"{' or '.join(facts.fixed_versions)}{later}.",
                "product_ids": affected,
                "url": facts.repository_url or url,
            }
        )
    if unfixed or not facts.fixed_versions:
        since = [f" from {i.lower}" for i in unfixed if i.lower is not None]
        remediations.append(
            {
                "category": "none_available",
                "details": f"No fixed version of {facts.product}{''.join(since[:1])} "
                "is available yet.",
                "product_ids": affected,
            }
        )
    return remediations


def _vulnerability(
    vuln: dict[str, Any], tree: _ProductTree, pub: Publication
) -> tuple[dict[str, Any], list[str]]:
    status = ProductStatus()
    remediations: list[dict[str, Any]] = []
    for a in vuln["affected"]:
        facts = affected_facts(a, pub.content["references"])
        remediations += _products(facts, tree, status, page_url(pub.identifier))
    # The vendors' public statuses (formats/vendor_status.py).
    flags, vendor_notes, vendor_remediations = vendor_status.csaf_statuses(vuln, status)
    remediations += vendor_remediations
    product_status = status.as_dict()
    affected_ids = product_status.get("known_affected", [])
    workaround = workaround_for(pub.content, vuln)
    if workaround and affected_ids:
        remediations.append(
            {"category": "workaround", "details": workaround, "product_ids": affected_ids}
        )
    notes = [
        {
            "category": "description",
            "title": "Description",
            "text": vuln["description"] or vuln["title"],
        }
    ]
    if vuln["cvss4_vector"]:
        notes.append(
            {
                "category": "other",
                "title": "CVSS 4.0",
                "text": f"{vuln['cvss4_vector']} (base score {vuln['cvss4_score']})",
            }
        )
    out: dict[str, Any] = {"title": vuln["title"]}
    if vuln["osv_id"]:  # a draft has none yet: assigned at publication
        out["ids"] = [{"system_name": settings.CSAF_PUBLISHER_NAME, "text": vuln["osv_id"]}]
    out["notes"] = notes + vendor_notes
    if vuln["cve_id"]:
        out["cve"] = vuln["cve_id"]
    if vuln["cwe"] and vuln["cwe_name"]:
        out["cwe"] = {"id": vuln["cwe"], "name": vuln["cwe_name"]}
    if product_status:
        out["product_status"] = product_status
    if flags:
        out["flags"] = flags
    if vuln["cvss3_vector"] and affected_ids:
        out["scores"] = [_cvss3(vuln["cvss3_vector"], affected_ids)]
    if remediations:
        out["remediations"] = remediations
    credits_by_kind: dict[str, list[str]] = {}
    for credit in vuln["credits"]:
        credits_by_kind.setdefault(credit["kind"], []).append(credit["name"])
    if credits_by_kind:
        out["acknowledgments"] = [
            {"names": names, "summary": kind.replace("_", " ")}
            for kind, names in credits_by_kind.items()
        ]
    return out, affected_ids


def render_publication(pub: Publication) -> dict[str, Any]:
    content = pub.content
    tree = _ProductTree()
    vulnerabilities = [_vulnerability(v, tree, pub)[0] for v in content["vulnerabilities"]]
    notes = []
    if pub.withdrawn:
        notes.append(
            {
                "category": "description",
                "title": "Reasoning for Withdrawal",
                "text": f"This advisory was withdrawn on "
                f"{pub.current_release:%Y-%m-%d}: {pub.withdrawal_reason}",
            }
        )
    notes.append({"category": "summary", "title": "Summary", "text": content["summary"]})
    if content["details"]:
        notes.append({"category": "details", "title": "Details", "text": content["details"]})
    if content["workarounds"]:
        notes.append(
            {"category": "general", "title": "Workarounds", "text": content["workarounds"]}
        )
    notes.append(
        {
            "category": "legal_disclaimer",
            "title": "Terms of use",
            "text": "This advisory is provided as is, without warranty of any kind.",
        }
    )
    references = [
        {
            "category": "self",
            "summary": "This CSAF document",
            "url": csaf_url(pub.identifier, pub.year),
        },
        {
            "category": "external",
            "summary": "Advisory page",
            "url": page_url(pub.identifier),
        },
    ] + [
        {"category": "external", "summary": r["label"] or r["url"], "url": r["url"]}
        for r in content["references"]
    ]
    document: dict[str, Any] = {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": {
            "text": "Public.",
            "tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"},
        },
        "lang": "en",
        "notes": notes,
        "publisher": publisher(),
        "references": references,
        "title": content["title"],
        "tracking": {
            "current_release_date": timestamp(pub.current_release),
            "generator": {"date": timestamp(pub.current_release), "engine": GENERATOR},
            "id": pub.identifier,
            "initial_release_date": timestamp(pub.initial_release),
            "revision_history": [
                {"date": timestamp(r.date), "number": str(r.number), "summary": r.summary}
                for r in pub.revisions
            ],
            "status": "final" if pub.final else "draft",
            "version": str(pub.version),
        },
    }
    if content.get("severity") and content["severity"] != "none":
        document["aggregate_severity"] = {"text": content["severity"].title()}
    doc: dict[str, Any] = {"document": document}
    product_tree = vendor_status.csaf_product_tree(content, tree.as_dict() if tree.ids else None)
    if product_tree:
        doc["product_tree"] = product_tree
    doc["vulnerabilities"] = vulnerabilities
    return doc
