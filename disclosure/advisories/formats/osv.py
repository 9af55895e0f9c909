"""OSV 1.7 records, one per vulnerability of an advisory.

Ids are ``<OSV_ID_PREFIX>-<year>-<nnnn>`` (default ``AKRV-2026-0001``), a sequence of
their own assigned when a vulnerability is first published (``OsvIdentifier``) and
kept for ever; a draft's preview says ``<prefix>-PENDING-<k>``. A withdrawn advisory's
records carry ``withdrawn`` (and ``modified``) set to the withdrawal. Affected packages map purl
types to OSV ecosystems; vers ranges become ``introduced`` / ``fixed`` /
``last_affected`` events (ECOSYSTEM ranges, SEMVER for Go and Rust).
"""

from __future__ import annotations

from typing import Any

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
    records = {}
    for n, vuln in enumerate(pub.content["vulnerabilities"], start=1):
        if not vuln["osv_id"]:
            # A draft: ids are assigned at publication, never shown before.
            vuln = {**vuln, "osv_id": f"{settings.OSV_ID_PREFIX}-PENDING-{n}"}
        records[vuln["osv_id"]] = render_vulnerability(pub, vuln)
    return records


def _osv_version(facts: AffectedFacts, version: str) -> str:
    # OSV SEMVER ranges take SemVer without Go's ``v`` (the Go vulnerability database
    # writes them so); everywhere else a Go version keeps it.
    return version.removeprefix("v") if facts.ecosystem.osv_range_type == "SEMVER" else version


def _segments(facts: AffectedFacts) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(introduced, "fixed"/"last_affected"/"", bound) segments, and the constraints
    OSV cannot state exactly in this ecosystem (its events have no exclusive start)."""
    segments: list[tuple[str, str, str]] = []
    approximations: list[str] = []
    for interval in facts.intervals:
        start = "0" if interval.lower is None else interval.lower
        if interval.lower is not None and not interval.lower_inclusive:
            successor = facts.successor(interval.lower)
            if successor:
                start = successor
            else:
                approximations.append(
                    f">{interval.lower}: OSV cannot start a range after a version in "
                    f"{facts.osv_ecosystem}; {interval.lower} is listed as affected."
                )
        inside = [
            x
            for x in facts.excluded_versions
            if (start == "0" or facts.version(x) >= facts.version(start))
            and (
                interval.upper is None
                or facts.version(x) < facts.version(interval.upper)
                or (interval.upper_inclusive and facts.version(x) == facts.version(interval.upper))
            )
        ]
        for excluded in sorted(inside, key=facts.version):
            successor = facts.successor(excluded)
            if successor is None:
                approximations.append(
                    f"!={excluded}: OSV cannot leave out one version in "
                    f"{facts.osv_ecosystem}; {excluded} is listed as affected."
                )
                continue
            segments.append((start, "fixed", excluded))
            start = successor
        if interval.upper is None:
            segments.append((start, "", ""))
        else:
            kind = "last_affected" if interval.upper_inclusive else "fixed"
            segments.append((start, kind, interval.upper))
    return segments, approximations


def _ranges(facts: AffectedFacts) -> tuple[list[dict[str, Any]], list[str]]:
    segments, approximations = _segments(facts)
    ranges = []
    # OSV forbids fixed and last_affected in one range: one range for each kind.
    for kinds in (("fixed", ""), ("last_affected",)):
        events: list[dict[str, str]] = []
        for introduced, kind, bound in segments:
            if kind not in kinds:
                continue
            events.append({"introduced": _osv_version(facts, introduced)})
            if kind:
                events.append({kind: _osv_version(facts, bound)})
        if events:
            ranges.append({"type": facts.ecosystem.osv_range_type, "events": events})
    return ranges, approximations


def _affected(facts: AffectedFacts) -> dict[str, Any] | None:
    """The OSV ``affected`` entry of one package, or None when OSV has no ecosystem
    for it (``facts.no_osv_reason`` says why)."""
    database_specific: dict[str, Any] = {"vers": facts.vers}
    if facts.osv_ecosystem is None:
        if not facts.fix_commits:
            return None
        # A source repository: OSV matches it by commits (GIT range), no package.
        events = [{"introduced": "0"}] + [{"fixed": c} for c in facts.fix_commits]
        return {
            "ranges": [{"type": "GIT", "repo": facts.git_repo, "events": events}],
            "database_specific": {**database_specific, "purl": facts.purl},
        }
    ranges, approximations = _ranges(facts)
    out: dict[str, Any] = {
        "package": {"ecosystem": facts.osv_ecosystem, "name": facts.name, "purl": facts.purl},
    }
    if ranges:
        out["ranges"] = ranges
    if facts.affected_versions:
        out["versions"] = [_osv_version(facts, v) for v in facts.affected_versions]
    if approximations:
        database_specific["approximations"] = approximations
    out["database_specific"] = database_specific
    return out


def render_vulnerability(pub: Publication, vuln: dict[str, Any]) -> dict[str, Any]:
    content = pub.content
    affected, unmapped, packages = [], [], []
    for a in vuln["affected"]:
        facts = affected_facts(a, content["references"])
        entry = _affected(facts)
        if entry is None:
            unmapped.append({"purl": facts.purl, "reason": facts.no_osv_reason})
        else:
            affected.append(entry)
        if facts.package_page:
            packages.append(facts.package_page)
    severity = []
    if vuln["cvss3_vector"]:
        severity.append({"type": "CVSS_V3", "score": vuln["cvss3_vector"]})
    if vuln["cvss4_vector"]:
        severity.append({"type": "CVSS_V4", "score": vuln["cvss4_vector"]})
    references = [{"type": "ADVISORY", "url": page_url(pub.identifier)}]
    for r in typed_references(content["references"]):
        references.append({"type": REFERENCE_TYPES[r["type"]][0], "url": r["url"]})
    references += [{"type": "PACKAGE", "url": url} for url in packages]
    # One entry per URL: the first (our advisory, then the typed ones) wins.
    unique: dict[str, dict[str, str]] = {}
    for r in references:
        unique.setdefault(r["url"], r)
    references = list(unique.values())
    details = vuln["description"] or content["summary"]
    if pub.withdrawn:
        details = f"**Withdrawn:** {pub.withdrawal_reason}\n\n{details}"
    workaround = workaround_for(content, vuln)
    if workaround:
        details += f"\n\n## Workarounds\n\n{workaround}"
    if unmapped:
        details += "\n\n## Packages without an OSV ecosystem\n\n" + "\n".join(
            f"- {u['reason']}" for u in unmapped
        )
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": vuln["osv_id"],
        "modified": timestamp(pub.current_release),
        "published": timestamp(pub.initial_release),
        "summary": vuln["title"],
        "details": details,
    }
    if pub.withdrawn_at is not None:
        record["withdrawn"] = timestamp(pub.withdrawn_at)
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
        **({"withdrawal_reason": pub.withdrawal_reason} if pub.withdrawn else {}),
        # The vendors' public statuses (formats/vendor_status.py).
        **vendor_status.osv_database_specific(vuln),
    }
    return record
