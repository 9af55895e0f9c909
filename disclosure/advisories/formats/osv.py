"""OSV 1.7 records, one per vulnerability of an advisory.

Ids are ``<OSV_ID_PREFIX>-<year>-<nnnn>-<k>`` (the advisory's number and the
vulnerability's place in it), kept across revisions. Affected packages map purl
types to OSV ecosystems; vers ranges become ``introduced`` / ``fixed`` /
``last_affected`` events (ECOSYSTEM ranges, SEMVER for Go and Rust).
"""

from __future__ import annotations

from typing import Any

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import (
    OSV_ECOSYSTEMS,
    SEMVER_TYPES,
    csaf_url,
    page_url,
    purl_parts,
    timestamp,
    version_events,
)
from disclosure.models import Advisory

SCHEMA_VERSION = "1.7.5"
CREDIT_TYPES = {
    "finder": "FINDER",
    "reporter": "REPORTER",
    "analyst": "ANALYST",
    "coordinator": "COORDINATOR",
    "remediation_developer": "REMEDIATION_DEVELOPER",
    "remediation_reviewer": "REMEDIATION_REVIEWER",
    "other": "OTHER",
}


def render(advisory: Advisory, *, preview: bool = False) -> dict[str, Any]:
    """``{osv_id: record}`` for every vulnerability of the advisory."""
    pub = publication_for(advisory, preview=preview)
    return {v["osv_id"]: render_vulnerability(pub, v) for v in pub.content["vulnerabilities"]}


def _affected(a: dict[str, Any]) -> dict[str, Any] | None:
    purl_type, name, _ = purl_parts(a["purl"])
    ecosystem = OSV_ECOSYSTEMS.get(purl_type)
    if ecosystem is None:
        return None
    events = version_events(a["vers"], a["fixed_versions"])
    semver = purl_type in SEMVER_TYPES

    def v(version: str) -> str:
        return version.removeprefix("v") if semver else version

    with_fix = [s for s in events.segments if s.last_affected is None]
    with_last = [s for s in events.segments if s.last_affected is not None]
    ranges = []
    # OSV forbids fixed and last_affected in one range: one range for each kind.
    for segments in (with_fix, with_last):
        if not segments:
            continue
        range_events: list[dict[str, str]] = []
        for s in segments:
            range_events.append({"introduced": v(s.introduced)})
            if s.fixed:
                range_events.append({"fixed": v(s.fixed)})
            if s.last_affected:
                range_events.append({"last_affected": v(s.last_affected)})
        ranges.append({"type": "SEMVER" if semver else "ECOSYSTEM", "events": range_events})
    out: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": name, "purl": a["purl"]},
    }
    if ranges:
        out["ranges"] = ranges
    if events.exact:
        out["versions"] = events.exact
    database_specific: dict[str, Any] = {}
    if a["vers"]:
        database_specific["vers"] = a["vers"]
    if events.approximations:
        database_specific["approximated_constraints"] = events.approximations
    if database_specific:
        out["database_specific"] = database_specific
    return out


def render_vulnerability(pub: Publication, vuln: dict[str, Any]) -> dict[str, Any]:
    content = pub.content
    affected, unmapped = [], []
    for a in vuln["affected"]:
        entry = _affected(a)
        if entry is None:
            unmapped.append(a["purl"])
        else:
            affected.append(entry)
    severity = []
    if vuln["cvss3_vector"]:
        severity.append({"type": "CVSS_V3", "score": vuln["cvss3_vector"]})
    if vuln["cvss4_vector"]:
        severity.append({"type": "CVSS_V4", "score": vuln["cvss4_vector"]})
    references = [{"type": "ADVISORY", "url": page_url(pub.identifier)}]
    references += [
        {"type": "WEB", "url": r["url"]}
        for r in content["references"]
        if r["url"] not in {x["url"] for x in references}
    ]
    details = vuln["description"] or content["summary"]
    if content["workarounds"]:
        details += f"\n\n## Workarounds\n\n{content['workarounds']}"
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": vuln["osv_id"],
        "modified": timestamp(pub.current_release),
        "published": timestamp(pub.initial_release),
        "summary": vuln["title"],
        "details": details,
    }
    if vuln["cve_id"]:
        record["aliases"] = [vuln["cve_id"]]
    if severity:
        record["severity"] = severity
    record["affected"] = affected
    record["references"] = references
    if vuln["credits"]:
        record["credits"] = [
            {"name": c["name"], "type": CREDIT_TYPES.get(c["kind"], "OTHER")}
            for c in vuln["credits"]
        ]
    record["database_specific"] = {
        "advisory": pub.identifier,
        "csaf": csaf_url(pub.identifier, pub.year),
        "severity": vuln["severity"].upper(),
        "cwe_ids": [vuln["cwe"]] if vuln["cwe"] else [],
        **({"unmapped_packages": unmapped} if unmapped else {}),
    }
    return record
