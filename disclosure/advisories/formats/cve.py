"""CVE JSON 5.1 records, one per vulnerability that has a CVE id.

The CNA container names us (``CVE_ORG_ID``), describes the flaw in English, lists
the affected packages twice over (vendor + product, and collectionURL +
packageName when the purl type has a known registry) with version ranges taken
from the vers range, the CWE, the CVSS 3.x and 4.0 metrics, references and the
credits of people who agreed to be named.
"""

from __future__ import annotations

from typing import Any

from cvss import CVSS3, CVSS4
from django.conf import settings

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import (
    COLLECTION_URLS,
    csaf_url,
    page_url,
    purl_parts,
    timestamp,
    version_events,
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


def _versions(a: dict[str, Any], version_type: str) -> list[dict[str, str]]:
    events = version_events(a["vers"], a["fixed_versions"])
    versions: list[dict[str, str]] = []
    for s in events.segments:
        entry = {"version": s.introduced, "status": "affected", "versionType": version_type}
        if s.fixed:
            entry["lessThan"] = s.fixed
        elif s.last_affected:
            entry["lessThanOrEqual"] = s.last_affected
        else:
            entry["lessThan"] = "*"
        versions.append(entry)
    versions += [{"version": v, "status": "affected"} for v in events.exact]
    versions += [{"version": v, "status": "unaffected"} for v in a["fixed_versions"]]
    # The schema wants unique items.
    return [dict(t) for t in dict.fromkeys(tuple(v.items()) for v in versions)]


def _affected(a: dict[str, Any]) -> dict[str, Any]:
    purl_type, name, _ = purl_parts(a["purl"])
    entry: dict[str, Any] = {
        "vendor": a["vendor"] or "n/a",
        "product": a["product"],
    }
    if purl_type in COLLECTION_URLS:
        entry["collectionURL"] = COLLECTION_URLS[purl_type]
        entry["packageName"] = name
    if a["repository_url"]:
        entry["repo"] = a["repository_url"]
    versions = _versions(a, purl_type)
    if versions:
        entry["versions"] = versions
    entry["defaultStatus"] = "unaffected" if versions else "unknown"
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


def render_vulnerability(pub: Publication, vuln: dict[str, Any]) -> dict[str, Any]:
    content = pub.content
    published, updated = timestamp(pub.initial_release), timestamp(pub.current_release)
    references: list[dict[str, Any]] = [
        {"url": page_url(pub.identifier), "name": pub.identifier, "tags": ["vendor-advisory"]},
        {"url": csaf_url(pub.identifier, pub.year), "name": f"{pub.identifier} (CSAF)"},
    ]
    seen = {r["url"] for r in references}
    for r in content["references"]:
        if r["url"] not in seen:
            seen.add(r["url"])
            references.append({"url": r["url"], **({"name": r["label"]} if r["label"] else {})})
    cna: dict[str, Any] = {
        "providerMetadata": {
            "orgId": settings.CVE_ORG_ID,
            "shortName": settings.CVE_ORG_SHORT_NAME,
            "dateUpdated": updated,
        },
        "title": vuln["title"],
        "datePublic": published,
        "descriptions": [{"lang": "en", "value": vuln["description"] or vuln["title"]}],
        "affected": [_affected(a) for a in vuln["affected"]]
        or [{"vendor": "n/a", "product": content["title"], "defaultStatus": "unknown"}],
        "references": references,
    }
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
    if content["workarounds"]:
        cna["workarounds"] = [{"lang": "en", "value": content["workarounds"]}]
    fixes = [
        f"{a['product']} {' or '.join(a['fixed_versions'])}"
        for a in vuln["affected"]
        if a["fixed_versions"]
    ]
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
