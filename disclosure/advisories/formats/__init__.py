"""Machine-readable advisories: CSAF 2.0, OSV 1.7 and CVE JSON 5.1, from one model.

Each module has ``render(advisory, *, preview=False) -> dict``. Without ``preview``
it renders the frozen content of the latest published revision (and refuses an
unpublished advisory with ``LookupError``); with it, the working copy as a draft,
for the participants' preview. This package holds what the formats share: URLs,
dates, purl-type mappings and the translation of vers ranges into events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from packageurl import PackageURL
from univers.version_range import VersionRange

# purl type -> OSV ecosystem (https://ossf.github.io/osv-schema/#affectedpackage-field).
OSV_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "cran": "CRAN",
    "hackage": "Hackage",
    "swift": "SwiftURL",
    "conan": "ConanCenter",
    "github": "GitHub Actions",
    "deb": "Debian",
    "apk": "Alpine",
}
# Ecosystems whose versions are SemVer 2.0: OSV then compares them as SEMVER.
SEMVER_TYPES = frozenset({"golang", "cargo"})
# purl type -> the package registry a CVE record names in ``collectionURL``.
# The values are the ones the CVE schema lists as examples, so consumers know them.
COLLECTION_URLS = {
    "pypi": "https://pypi.python.org",
    "npm": "https://registry.npmjs.org",
    "maven": "https://repo.maven.apache.org/maven2",
    "golang": "https://golang.org/pkg",
    "cargo": "https://crates.io",
    "gem": "https://rubygems.org",
    "nuget": "https://nuget.org/packages",
    "composer": "https://packagist.org",
    "hex": "https://repo.hex.pm",
    "pub": "https://pub.dev",
    "cran": "https://cran.r-project.org",
    "hackage": "https://hackage.haskell.org",
}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def page_url(identifier: str) -> str:
    return absolute(reverse("advisories:detail", args=[identifier]))


def csaf_filename(identifier: str) -> str:
    """CSAF 2.0 section 5.1: the tracking id, lower case, other characters as ``_``."""
    return re.sub(r"[^+\-a-z0-9]+", "_", identifier.lower()) + ".json"


def csaf_url(identifier: str, year: int) -> str:
    """The canonical URL of a CSAF document: its place in the provider's directory."""
    return absolute(
        reverse("advisories:csaf_provider_file", args=[year, csaf_filename(identifier)])
    )


def osv_url(osv_id: str) -> str:
    return absolute(reverse("advisories:osv", args=[osv_id]))


def cve_url(cve_id: str) -> str:
    return absolute(reverse("advisories:cve", args=[cve_id]))


def timestamp(when: dt.datetime) -> str:
    """UTC, milliseconds, ``Z``: the form all three formats accept."""
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def dumps(document: dict[str, Any]) -> bytes:
    """The bytes served for a document: stable, so its published hashes stay true.

    Keys sorted: CSAF recommends it (test 6.2.13) and it keeps diffs between
    revisions readable for mirrors.
    """
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def purl_parts(purl: str) -> tuple[str, str, str]:
    """(type, OSV-style package name, name) of a purl."""
    p = PackageURL.from_string(purl)
    if p.type == "maven" and p.namespace:
        full = f"{p.namespace}:{p.name}"
    elif p.namespace:
        full = f"{p.namespace}/{p.name}"
    else:
        full = p.name
    return p.type, full, p.name


@dataclass
class Segment:
    """One stretch of affected versions: [introduced, fixed) or [introduced, last_affected]."""

    introduced: str = "0"
    fixed: str | None = None
    last_affected: str | None = None


@dataclass
class VersionEvents:
    segments: list[Segment] = field(default_factory=list)
    exact: list[str] = field(default_factory=list)
    # Constraints OSV and CVE cannot express exactly (``>`` and ``!=``), kept for the record.
    approximations: list[str] = field(default_factory=list)


def version_events(vers: str, fixed_versions: list[str]) -> VersionEvents:
    """Turn a vers range (and the known fixed versions) into affected segments."""
    events = VersionEvents()
    constraints = []
    if vers:
        try:
            constraints = VersionRange.from_string(vers).constraints
        except Exception:  # univers raises many types; a stored range was validated
            events.approximations.append(vers)
    open_segment: Segment | None = None
    for c in constraints:
        version = c.version.string if c.version is not None else ""
        if c.comparator == "*":
            open_segment = Segment("0")
            events.segments.append(open_segment)
        elif c.comparator in (">=", ">"):
            if c.comparator == ">":
                events.approximations.append(f">{version}")
            if open_segment is None:
                open_segment = Segment(version)
                events.segments.append(open_segment)
        elif c.comparator in ("<", "<="):
            if open_segment is None:
                open_segment = Segment("0")
                events.segments.append(open_segment)
            if c.comparator == "<":
                open_segment.fixed = version
            else:
                open_segment.last_affected = version
            open_segment = None
        elif c.comparator == "=":
            events.exact.append(version)
        else:
            events.approximations.append(f"{c.comparator}{version}")
    if not constraints and fixed_versions:
        # No range, only a fix: everything before the lowest fixed version is affected.
        events.segments.append(Segment("0", fixed=sorted(fixed_versions)[0]))
    return events
