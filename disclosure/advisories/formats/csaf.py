"""CSAF 2.0 ``csaf_security_advisory`` documents.

Product tree: vendor (the project's maintainer organisation) > product (project or
package) > one ``product_version_range`` per affected vers range and one
``product_version`` per fixed version, each with its purl. Per vulnerability:
CVE, CWE (with its catalogue name, as test 6.1.11 requires), CVSS 3.x scores
(CSAF 2.0 has no CVSS 4.0 field, so a 4.0 vector goes into a note), product
status (known_affected / fixed), remediations (vendor_fix, workaround), notes,
acknowledgments of consenting credits. Tracking follows the published revisions.
"""

from __future__ import annotations

from typing import Any

from cvss import CVSS3
from django.conf import settings

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import csaf_url, page_url, timestamp
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


def _vulnerability(
    vuln: dict[str, Any], tree: _ProductTree, pub: Publication
) -> tuple[dict[str, Any], list[str]]:
    affected_ids: list[str] = []
    fixed_ids: list[str] = []
    remediations: list[dict[str, Any]] = []
    for a in vuln["affected"]:
        vendor = a["vendor"] or a["product"]
        range_name = a["vers"] or "vers:generic/*"
        range_id = tree.product(
            vendor, a["product"], "product_version_range", range_name, a["purl"]
        )
        affected_ids.append(range_id)
        fixed_here = [
            tree.product(vendor, a["product"], "product_version", v, f"{a['purl']}@{v}")
            for v in a["fixed_versions"]
        ]
        fixed_ids.extend(fixed_here)
        if a["fixed_versions"]:
            remediation = {
                "category": "vendor_fix",
                "details": f"Update {a['product']} to version "
                f"{' or '.join(a['fixed_versions'])} or later.",
                "product_ids": [range_id],
                "url": a["repository_url"] or page_url(pub.identifier),
            }
            remediations.append(remediation)
    affected_ids = list(dict.fromkeys(affected_ids))
    fixed_ids = [i for i in dict.fromkeys(fixed_ids) if i not in affected_ids]
    if pub.content["workarounds"] and affected_ids:
        remediations.append(
            {
                "category": "workaround",
                "details": pub.content["workarounds"],
                "product_ids": affected_ids,
            }
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
    out: dict[str, Any] = {
        "title": vuln["title"],
        "ids": [{"system_name": settings.CSAF_PUBLISHER_NAME, "text": vuln["osv_id"]}],
        "notes": notes,
    }
    if vuln["cve_id"]:
        out["cve"] = vuln["cve_id"]
    if vuln["cwe"] and vuln["cwe_name"]:
        out["cwe"] = {"id": vuln["cwe"], "name": vuln["cwe_name"]}
    status: dict[str, list[str]] = {}
    if affected_ids:
        status["known_affected"] = affected_ids
    if fixed_ids:
        status["fixed"] = fixed_ids
    if status:
        out["product_status"] = status
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
    notes = [{"category": "summary", "title": "Summary", "text": content["summary"]}]
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
    if tree.ids:
        doc["product_tree"] = tree.as_dict()
    doc["vulnerabilities"] = vulnerabilities
    return doc
