"""Vendor statuses in the machine-readable files (disclosure/README.md, "Vendor status
in the formats").

Each vulnerability's content holds ``vendor_statuses`` (frozen at publication from
the statuses the vendors marked public). Per format:

- CSAF: the vendor's product in the product tree (vendor branch > product name >
  ``vers:all/*``), its id in ``product_status`` (``known_affected``,
  ``known_not_affected``, ``fixed``, ``under_investigation``), a ``flags`` entry with
  the VEX justification label for *not affected*, and a note per vendor (category
  ``other``, titled with the vendor's name).
- OSV: ``database_specific.vendor_statuses`` of the record.
- CVE: one ``affected`` entry per vendor (vendor, product, ``defaultStatus``).
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol
from urllib.parse import quote

from disclosure.advisories.formats import absolute

STATUS_LABELS = {
    "under_investigation": "Under investigation",
    "affected": "Affected",
    "not_affected": "Not affected",
    "fixed": "Fixed",
}
# CSAF product_status group of each vendor status.
CSAF_STATUS = {
    "under_investigation": "under_investigation",
    "affected": "known_affected",
    "not_affected": "known_not_affected",
    "fixed": "fixed",
}
# CVE ``defaultStatus``: a vendor that fixed its product ships it unaffected now.
CVE_STATUS = {
    "under_investigation": "unknown",
    "affected": "affected",
    "not_affected": "unaffected",
    "fixed": "unaffected",
}
ALL_VERSIONS = "vers:all/*"


class _StatusLists(Protocol):
    known_affected: list[str]
    known_not_affected: list[str]
    fixed: list[str]
    under_investigation: list[str]


def product_name(vuln: dict[str, Any], statement: dict[str, Any]) -> str:
    """The vendor's product: as the vendor named it, else the affected package."""
    if statement.get("product"):
        return str(statement["product"])
    affected = vuln.get("affected") or []
    return str(affected[0]["product"]) if affected else "All products"


def identification_helper(
    vuln: dict[str, Any], statement: dict[str, Any], product: str
) -> dict[str, Any]:
    """How to recognise the vendor's product: the affected package's purl when the
    vendor named no product of its own (it ships the package itself), else a URI of ours
    naming the vendor's product (CSAF ``x_generic_uris``)."""
    affected = vuln.get("affected") or []
    if not statement.get("product") and affected:
        return {"purl": affected[0]["purl"]}
    namespace = absolute("/vendor-products/")
    return {
        "x_generic_uris": [
            {
                "namespace": namespace,
                "uri": f"{namespace}{quote(statement['vendor_slug'])}/{quote(product)}",
            }
        ]
    }


def csaf_product_id(vendor: str, product: str) -> str:
    """Stable per (vendor, product), distinct from the package products' ids."""
    digest = hashlib.sha256(f"{vendor}\x00{product}".encode()).hexdigest()[:10]
    return f"CSAFPID-VENDOR-{digest}"


def csaf_statuses(
    vuln: dict[str, Any], status: _StatusLists
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Add each vendor's product to ``status``; return the vulnerability's ``flags``
    (VEX justifications), vendor notes and remediations (an affected product without a
    fix announced, or under investigation: ``none_available``, as CSAF's test 6.2.2 asks)."""
    flags: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    remediations: list[dict[str, Any]] = []
    for s in vuln.get("vendor_statuses", []):
        product = product_name(vuln, s)
        product_id = csaf_product_id(s["vendor"], product)
        getattr(status, CSAF_STATUS[s["status"]]).append(product_id)
        if s["status"] in ("affected", "under_investigation"):
            remediations.append(
                {
                    "category": "none_available",
                    "details": f"{s['vendor']} has not announced a fix for {product} yet."
                    if s["status"] == "affected"
                    else f"{s['vendor']} is investigating whether {product} is affected.",
                    "product_ids": [product_id],
                }
            )
        text = f"{product}: {STATUS_LABELS[s['status']]}"
        if s["justification"]:
            flags.append({"label": s["justification"], "product_ids": [product_id]})
            text += f" ({s['justification'].replace('_', ' ')})"
        text += "."
        if s["statement"]:
            text += f"\n\n{s['statement']}"
        notes.append(
            {"category": "other", "title": f"Vendor statement: {s['vendor']}", "text": text}
        )
    return flags, notes, remediations


def csaf_product_tree(
    content: dict[str, Any], product_tree: dict[str, Any] | None
) -> dict[str, Any] | None:
    """``product_tree`` with every vendor's product added (under its vendor's branch,
    which it shares with the vendor's packages when there are any)."""
    products: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    for vuln in content.get("vulnerabilities", []):
        for s in vuln.get("vendor_statuses", []):
            product = product_name(vuln, s)
            products.setdefault(s["vendor"], {})[product] = (
                csaf_product_id(s["vendor"], product),
                identification_helper(vuln, s, product),
            )
    if not products:
        return product_tree
    tree = product_tree or {"branches": []}
    branches = tree.setdefault("branches", [])
    for vendor, named in products.items():
        branch = next((b for b in branches if b.get("name") == vendor), None)
        if branch is None:
            branch = {"category": "vendor", "name": vendor, "branches": []}
            branches.append(branch)
        for product, (product_id, helper) in named.items():
            leaf = {
                "category": "product_version_range",
                "name": ALL_VERSIONS,
                "product": {
                    "name": f"{vendor} {product}",
                    "product_id": product_id,
                    "product_identification_helper": helper,
                },
            }
            products_of_vendor = branch.setdefault("branches", [])
            same = next((b for b in products_of_vendor if b.get("name") == product), None)
            if same is not None and "branches" in same:
                same["branches"].append(leaf)
            else:
                products_of_vendor.append(
                    {"category": "product_name", "name": product, "branches": [leaf]}
                )
    return tree


def osv_database_specific(vuln: dict[str, Any]) -> dict[str, Any]:
    """``{"vendor_statuses": [...]}`` for the record's ``database_specific``, or ``{}``."""
    statements = [
        {
            "vendor": s["vendor"],
            "product": product_name(vuln, s),
            "status": s["status"],
            **({"justification": s["justification"]} if s["justification"] else {}),
            **({"statement": s["statement"]} if s["statement"] else {}),
        }
        for s in vuln.get("vendor_statuses", [])
    ]
    return {"vendor_statuses": statements} if statements else {}


def cve_affected(vuln: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``affected`` entry per vendor statement: vendor, product, ``defaultStatus``."""
    return [
        {
            "vendor": s["vendor"],
            "product": product_name(vuln, s),
            "defaultStatus": CVE_STATUS[s["status"]],
        }
        for s in vuln.get("vendor_statuses", [])
    ]
