"""CVE JSON 5.1 records, one per vulnerability that has a CVE id.

The CNA container names us (``CVE_ORG_ID``), describes the flaw in English, lists
the affected packages twice over (vendor + product, and collectionURL +
packageName) with ``versions`` ordered for the CVE algorithm and the conventional
``versionType`` (from the facts of ``affected.py``), the CWE, the CVSS 3.x and
4.0 metrics, typed references, the workarounds of the vulnerability and the
credits of people who agreed to be named.

A withdrawn advisory's records are ``REJECTED`` records: ``cveMetadata.state``
REJECTED with ``dateRejected``, and a CNA container of the rejected shape
(``providerMetadata`` and ``rejectedReasons`` only; cvelib's
``CVE_JSON_cnaRejectedContainer`` schema).
"""

from __future__ import annotations

from typing import Any

from cvss import CVSS3, CVSS4
from django.conf import settings

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import (
    csaf_url,
    page_url,
    timestamp,
    vendor_status,
    workaround_for,
)
from disclosure.advisories.formats.affected import (
    REFERENCE_TYPES,
    AffectedFacts,
    affected_facts,
    typed_references,
)
from disclosure.models import Advisory

CREDIT_TYPES = {
    "finder": "finder",
    "reporter": "reporter",
    "analyst": "analyst",
    "coordinator": "coordinator",
    "remediation_developer": "remediation developer",
    "remediation_reviewer": "remediation reviewer",
    "other": "other",
}


def render(advisory: Advisory, *, preview: bool = False) -> dict[str, Any]:
    """``{cve_id: record}`` for every vulnerability of the advisory with a CVE id."""
    pub = publication_for(advisory, preview=preview)
    return {
        v["cve_id"]: render_vulnerability(pub, v)
        for v in pub.content["vulnerabilities"]
        if v["cve_id"]
    }


def _versions(facts: AffectedFacts) -> list[dict[str, Any]]:
    """CVE ``versions`` from the facts, in the order the CVE algorithm reads them:
    the first entry that matches a version decides its status. Single versions come
    first (an excluded version, the exclusive start of a range), then the ranges,
    then the fixed versions."""
    version_type = facts.ecosystem.cve_version_type
    versions: list[dict[str, Any]] = []
    for v in facts.excluded_versions:
        versions.append({"version": v, "status": "unaffected"})
    for interval in facts.intervals:
        if interval.lower is not None and not interval.lower_inclusive:
            versions.append({"version": interval.lower, "status": "unaffected"})
    for v in facts.affected_versions:
        versions.append({"version": v, "status": "affected"})
    for interval in facts.intervals:
        entry: dict[str, Any] = {
            "version": interval.lower if interval.lower is not None else "0",
            "status": "affected",
            "versionType": version_type,
        }
        if interval.upper is None:
            entry["lessThan"] = "*"
        elif interval.upper_inclusive:
            entry["lessThanOrEqual"] = interval.upper
        else:
            entry["lessThan"] = interval.upper
        versions.append(entry)
    versions += [{"version": v, "status": "unaffected"} for v in facts.fixed_versions]
    # The schema wants unique items; the first of two equal entries is the one read.
    return [dict(t) for t in dict.fromkeys(tuple(v.items()) for v in versions)]


def _affected(facts: AffectedFacts) -> dict[str, Any]:
    entry: dict[str, Any] = {
        # A distribution's package is the distribution's product, not upstream's.
        "vendor": facts.vendor or "n/a",
        "product": facts.product,
    }
    if facts.ecosystem.collection_url:
        entry["collectionURL"] = facts.ecosystem.collection_url
    entry["packageName"] = facts.name
    if facts.repository_url:
        entry["repo"] = facts.repository_url
    entry["versions"] = _versions(facts)
    entry["defaultStatus"] = "unaffected"
    return entry


def _metrics(vuln: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = []
    if vuln["cvss4_vector"]:
        c4 = CVSS4(vuln["cvss4_vector"])
        metrics.append(
            {
                "format": "CVSS",
                "scenarios": [{"lang": "en", "value": "GENERAL"}],
                "cvssV4_0": {
                    "version": "4.0",
                    "vectorString": c4.clean_vector(),
                    "baseScore": float(c4.base_score),
                    "baseSeverity": c4.severity.upper(),
                },
            }
        )
    if vuln["cvss3_vector"]:
        c3 = CVSS3(vuln["cvss3_vector"])
        key = "cvssV3_1" if vuln["cvss3_vector"].startswith("CVSS:3.1/") else "cvssV3_0"
        metrics.append(
            {
                "format": "CVSS",
                "scenarios": [{"lang": "en", "value": "GENERAL"}],
                key: {
                    "version": vuln["cvss3_vector"][5:8],
                    "vectorString": c3.clean_vector(),
                    "baseScore": float(c3.base_score),
                    "baseSeverity": c3.severities()[0].upper(),
                },
            }
        )
    return metrics


def render_rejected(pub: Publication, vuln: dict[str, Any]) -> dict[str, Any]:
    """The record of a withdrawn advisory's vulnerability (CVE 5.1 "Rejected")."""
    published, rejected = timestamp(pub.initial_release), timestamp(pub.current_release)
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": vuln["cve_id"],
            "assignerOrgId": settings.CVE_ORG_ID,
            "assignerShortName": settings.CVE_ORG_SHORT_NAME,
            "state": "REJECTED",
            "datePublished": published,
            "dateUpdated": rejected,
            "dateRejected": rejected,
        },
        "containers": {
            "cna": {
                "providerMetadata": {
                    "orgId": settings.CVE_ORG_ID,
                    "shortName": settings.CVE_ORG_SHORT_NAME,
                    "dateUpdated": rejected,
                },
                "rejectedReasons": [{"lang": "en", "value": pub.withdrawal_reason}],
            }
        },
    }


def render_vulnerability(pub: Publication, vuln: dict[str, Any]) -> dict[str, Any]:
    if pub.withdrawn:
        return render_rejected(pub, vuln)
    content = pub.content
    published, updated = timestamp(pub.initial_release), timestamp(pub.current_release)
    references: list[dict[str, Any]] = [
        {"url": page_url(pub.identifier), "name": pub.identifier, "tags": ["vendor-advisory"]},
        {"url": csaf_url(pub.identifier, pub.year), "name": f"{pub.identifier} (CSAF)"},
    ]
    seen = {r["url"] for r in references}
    for r in typed_references(content["references"]):
        if r["url"] not in seen:
            seen.add(r["url"])
            tags = REFERENCE_TYPES[r["type"]][1]
            references.append(
                {
                    "url": r["url"],
                    **({"name": r["label"]} if r["label"] else {}),
                    **({"tags": tags} if tags else {}),
                }
            )
    facts = [affected_facts(a, content["references"]) for a in vuln["affected"]]
    cna: dict[str, Any] = {
        "providerMetadata": {
            "orgId": settings.CVE_ORG_ID,
            "shortName": settings.CVE_ORG_SHORT_NAME,
            "dateUpdated": updated,
        },
        "title": vuln["title"],
        "datePublic": published,
        "descriptions": [{"lang": "en", "value": vuln["description"] or vuln["title"]}],
        "affected": [_affected(f) for f in facts]
        or [{"vendor": "n/a", "product": content["title"], "defaultStatus": "unknown"}],
        "references": references,
    }
    # The vendors' public statuses (formats/vendor_status.py).
    cna["affected"] += vendor_status.cve_affected(vuln)
    if vuln["cwe"]:
        name = vuln["cwe_name"]
        cna["problemTypes"] = [
            {
                "descriptions": [
                    {
                        "lang": "en",
                        "type": "CWE",
                        "cweId": vuln["cwe"],
                        "description": f"{vuln['cwe']} {name}" if name else vuln["cwe"],
                    }
                ]
            }
        ]
    metrics = _metrics(vuln)
    if metrics:
        cna["metrics"] = metrics
    workaround = workaround_for(content, vuln)
    if workaround:
        cna["workarounds"] = [{"lang": "en", "value": workaround}]
    fixes = [f"{f.product} {' or '.join(f.fixed_versions)}" for f in facts if f.fixed_versions]
    if fixes:
        cna["solutions"] = [{"lang": "en", "value": "Update to " + ", ".join(fixes) + "."}]
    if vuln["credits"]:
        cna["credits"] = [
            {"lang": "en", "value": c["name"], "type": CREDIT_TYPES.get(c["kind"], "other")}
            for c in vuln["credits"]
        ]
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": vuln["cve_id"],
            "assignerOrgId": settings.CVE_ORG_ID,
            "assignerShortName": settings.CVE_ORG_SHORT_NAME,
            "state": "PUBLISHED",
            "datePublished": published,
            "dateUpdated": updated,
        },
        "containers": {"cna": cna},
    }
