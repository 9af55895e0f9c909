"""One normalised model of what a vulnerability affects, for all three formats.

Each affected package of the frozen content (purl, vers range, fixed versions) is
read once into ``AffectedFacts``: the ecosystem as osv.dev and the CVE program name
it, the package name as that ecosystem writes it, the vendor to credit, the
affected intervals, single affected and excluded versions, and the fixed versions,
all compared with ``univers``. OSV ranges, CVE ``versions`` and the CSAF product
tree and product status are translated from these facts and nothing else, so the
three files cannot disagree about which version is affected
(``tests/disclosure/test_format_agreement.py`` checks it version by version).

When the package entry has no range but a fixed version, the range is "every
version before the lowest fix"; with neither, "every version" (no fix yet).
A fixed version the range itself calls affected is not a fix: the range wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from packageurl import PackageURL
from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange
from univers.versions import Version


@dataclass(frozen=True)
class Ecosystem:
    """How one purl type is named and compared in the three formats."""

    purl_type: str
    # osv.dev's ecosystem, or None with the reason a package of this type has none.
    osv: str | None
    # The univers scheme (vers) the versions are compared with.
    scheme: str
    # CVE ``versionType``: the conventional values (semver, python, maven, rpm, git, custom).
    cve_version_type: str
    # The registry the CVE record names in ``collectionURL`` (the schema's examples).
    collection_url: str = ""
    # Versions ordered as SemVer 2.0: a version's successor can be written exactly.
    semver: bool = False
    # A distribution's package: credited to the distribution, not the upstream vendor.
    distribution: bool = False
    no_osv_reason: str = ""

    @property
    def osv_range_type(self) -> str:
        return "SEMVER" if self.purl_type in {"golang", "cargo"} else "ECOSYSTEM"


_NO_ECOSYSTEM = (
    "{name} is a source repository ({purl}), not a package of an ecosystem osv.dev "
    "matches by version; OSV can describe it only by commits (GIT ranges), and no fix "
    "commit is known for it. The versions are in the CSAF and CVE records."
)

ECOSYSTEMS: dict[str, Ecosystem] = {
    e.purl_type: e
    for e in (
        Ecosystem("pypi", "PyPI", "pypi", "python", "https://pypi.python.org"),
        Ecosystem("npm", "npm", "npm", "semver", "https://registry.npmjs.org", semver=True),
        Ecosystem("maven", "Maven", "maven", "maven", "https://repo.maven.apache.org/maven2"),
        Ecosystem("golang", "Go", "golang", "semver", "https://pkg.go.dev", semver=True),
        Ecosystem("cargo", "crates.io", "cargo", "semver", "https://crates.io", semver=True),
        Ecosystem("gem", "RubyGems", "gem", "custom", "https://rubygems.org"),
        Ecosystem("nuget", "NuGet", "nuget", "custom", "https://nuget.org/packages"),
        Ecosystem("composer", "Packagist", "composer", "custom", "https://packagist.org"),
        Ecosystem("hex", "Hex", "hex", "semver", "https://repo.hex.pm", semver=True),
        Ecosystem("pub", "Pub", "generic", "custom", "https://pub.dev"),
        Ecosystem("cran", "CRAN", "generic", "custom", "https://cran.r-project.org"),
        Ecosystem("hackage", "Hackage", "generic", "custom", "https://hackage.haskell.org"),
        Ecosystem("swift", "SwiftURL", "generic", "semver"),
        Ecosystem("conan", "ConanCenter", "conan", "custom"),
        Ecosystem("deb", "Debian", "deb", "custom", distribution=True),
        Ecosystem("apk", "Alpine", "apk", "custom", distribution=True),
        Ecosystem("rpm", None, "rpm", "rpm", distribution=True),
        Ecosystem("github", None, "github", "semver", semver=True, no_osv_reason=_NO_ECOSYSTEM),
    )
}
# Distributions by the purl namespace of a deb/apk/rpm package.
DISTRIBUTIONS = {
    "debian": ("Debian", "Debian"),
    "ubuntu": ("Ubuntu", "Canonical"),
    "alpine": ("Alpine", "Alpine Linux"),
    "fedora": (None, "Fedora Project"),
    "redhat": ("Red Hat", "Red Hat"),
}
# Where a package's own page is: OSV ``PACKAGE`` references.
PACKAGE_PAGES = {
    "pypi": "https://pypi.org/project/{name}/",
    "npm": "https://www.npmjs.com/package/{name}",
    "cargo": "https://crates.io/crates/{name}",
    "golang": "https://pkg.go.dev/{name}",
    "maven": "https://central.sonatype.com/artifact/{namespace}/{short}",
    "gem": "https://rubygems.org/gems/{name}",
    "nuget": "https://www.nuget.org/packages/{name}",
    "composer": "https://packagist.org/packages/{name}",
    "deb": "https://tracker.debian.org/pkg/{short}",
    "github": "https://github.com/{name}",
}
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def _generic(purl_type: str) -> Ecosystem:
    scheme = purl_type if purl_type in RANGE_CLASS_BY_SCHEMES else "generic"
    return Ecosystem(
        purl_type,
        None,
        scheme,
        "custom",
        no_osv_reason=f"osv.dev has no ecosystem for {purl_type} packages ({{purl}}).",
    )


@dataclass(frozen=True)
class Interval:
    """Affected versions between two bounds; ``None`` is an open end."""

    lower: str | None = None
    lower_inclusive: bool = True
    upper: str | None = None
    upper_inclusive: bool = False


@dataclass
class AffectedFacts:
    purl: str
    ecosystem: Ecosystem
    osv_ecosystem: str | None
    # The package as its ecosystem writes it: ``@scope/name``, ``group:artifact``,
    # a Go module path, a Debian source package.
    name: str
    short_name: str
    namespace: str
    vendor: str
    product: str
    repository_url: str
    # The canonical vers range the facts say (derived when the entry had none), and
    # the univers scheme its versions are compared in.
    vers: str
    scheme: str
    intervals: list[Interval]
    affected_versions: list[str]
    excluded_versions: list[str]
    fixed_versions: list[str]
    # Fix commits known from the advisory's FIX references (``pkg:github``).
    fix_commits: list[str] = field(default_factory=list)

    @cached_property
    def range(self) -> VersionRange:
        return VersionRange.from_string(self.vers)

    def version(self, value: str) -> Version:
        return version_class(self.scheme)(value)

    def is_affected(self, value: str) -> bool:
        """The truth all three formats must tell: the vers range evaluated by univers."""
        return self.version(value) in self.range

    @property
    def git_repo(self) -> str:
        if self.ecosystem.purl_type == "github":
            return f"https://github.com/{self.name}"
        return ""

    @property
    def no_osv_reason(self) -> str:
        if self.osv_ecosystem or self.fix_commits:
            return ""
        reason = self.ecosystem.no_osv_reason or f"osv.dev has no ecosystem for {self.purl}."
        return reason.format(name=self.product, purl=self.purl)

    @property
    def package_page(self) -> str:
        template = PACKAGE_PAGES.get(self.ecosystem.purl_type)
        if not template:
            return ""
        return template.format(name=self.name, short=self.short_name, namespace=self.namespace)

    def successor(self, version: str) -> str | None:
        """The least version greater than ``version``, where the ordering has one
        (SemVer 2.0: ``1.2.3`` -> ``1.2.4-0``, ``1.2.3-rc.1`` -> ``1.2.3-rc.1.0``)."""
        if not self.ecosystem.semver:
            return None
        prefix = "v" if version.startswith("v") else ""
        core, _, _build = version.removeprefix("v").partition("+")
        release, dash, pre = core.partition("-")
        if dash:
            return f"{prefix}{release}-{pre}.0"
        parts = release.split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            return None
        return f"{prefix}{parts[0]}.{parts[1]}.{int(parts[2]) + 1}-0"


def _identity(purl: str) -> tuple[Ecosystem, str | None, str, str, str, str | None]:
    """(ecosystem, OSV ecosystem, name as written there, short name, namespace,
    distribution vendor) of a purl."""
    p = PackageURL.from_string(purl)
    ecosystem = ECOSYSTEMS.get(p.type) or _generic(p.type)
    namespace = p.namespace or ""
    osv = ecosystem.osv
    distributor = None
    if ecosystem.distribution:
        # A distribution's package is its source package name, in the
        # distribution's ecosystem: pkg:deb/debian/libexample is Debian "libexample".
        osv, distributor = DISTRIBUTIONS.get(namespace.lower(), (osv, namespace.title()))
        name = p.name
    elif p.type == "maven" and namespace:
        name = f"{namespace}:{p.name}"
    elif namespace:
        name = f"{namespace}/{p.name}"
    else:
        name = p.name
    return ecosystem, osv, name, p.name, namespace, distributor


def _canonical(version: str, ecosystem: Ecosystem) -> str:
    # Go versions are always written with their ``v`` (go.mod, proxy, pkg.go.dev).
    if ecosystem.purl_type == "golang" and version and not version.startswith("v"):
        return f"v{version}"
    return version


def version_class(scheme: str) -> Callable[[str], Version]:
    """The univers version class of a vers scheme (typed: univers declares it None)."""
    return cast("Callable[[str], Version]", RANGE_CLASS_BY_SCHEMES[scheme].version_class)


def _parse_range(vers: str) -> VersionRange | None:
    try:
        return VersionRange.from_string(vers)
    except Exception:  # univers raises many types
        return None


def _readable(parse: Callable[[str], Version], version: str) -> bool:
    try:
        parse(version)
    except Exception:  # univers raises many types
        return False
    return bool(version)


def _vers_string(scheme: str, constraints: list[tuple[str, str]]) -> str:
    if not constraints:
        return f"vers:{scheme}/*"
    return f"vers:{scheme}/" + "|".join(
        ("" if op == "=" else op) + version for op, version in constraints
    )


def _fix_commits(repo: str, references: Sequence[dict[str, Any]]) -> list[str]:
    commits = []
    for r in references:
        if (r.get("type") or reference_type(r["url"])) != "fix":
            continue
        head, _, tail = r["url"].rstrip("/").partition(f"{repo}/commit/")
        if not head and tail and _COMMIT.match(tail.lower()):
            commits.append(tail.lower())
    return commits


def affected_facts(a: dict[str, Any], references: Sequence[dict[str, Any]] = ()) -> AffectedFacts:
    """Read one affected entry of the frozen content (``build_content``)."""
    ecosystem, osv, name, short, namespace, distributor = _identity(a["purl"])
    scheme = ecosystem.scheme
    constraints: list[tuple[str, str]] = []
    if a["vers"]:
        parsed = _parse_range(a["vers"])
        # A range no longer readable in frozen content (ranges are checked on entry)
        # claims every version rather than fewer, and never fails the public file.
        if parsed is not None:
            scheme = str(parsed.scheme)
            for c in parsed.constraints:
                if c.comparator == "*":
                    constraints = []
                    break
                constraints.append((c.comparator, _canonical(c.version.string, ecosystem)))
    parse = version_class(scheme)
    fixed = sorted(
        dict.fromkeys(
            _canonical(str(v), ecosystem) for v in a["fixed_versions"] if _readable(parse, str(v))
        ),
        key=parse,
    )
    if not a["vers"] and fixed:
        # Only a fix: every version before the lowest fixed version is affected.
        constraints = [("<", fixed[0])]
    vers = _vers_string(scheme, constraints)
    whole = VersionRange.from_string(vers)
    fixed = [v for v in fixed if parse(v) not in whole]

    intervals: list[Interval] = []
    affected_versions = [v for op, v in constraints if op == "="]
    excluded = [v for op, v in constraints if op == "!="]
    lower: tuple[str, bool] | None = None
    for op, version in constraints:
        if op in (">", ">="):
            if lower is None:
                lower = (version, op == ">=")
        elif op in ("<", "<="):
            start = lower or (None, True)
            intervals.append(Interval(start[0], start[1], version, op == "<="))
            lower = None
    if lower is not None:
        intervals.append(Interval(lower[0], lower[1], None))
    if not intervals and not affected_versions:
        # No bound and no single version: every version (but the excluded ones).
        intervals.append(Interval())

    repo = f"https://github.com/{name}" if ecosystem.purl_type == "github" else ""
    return AffectedFacts(
        purl=a["purl"],
        ecosystem=ecosystem,
        osv_ecosystem=osv,
        name=name,
        short_name=short,
        namespace=namespace,
        vendor=distributor or a.get("vendor") or "",
        product=a["product"],
        repository_url=a.get("repository_url") or repo,
        vers=vers,
        scheme=scheme,
        intervals=intervals,
        affected_versions=affected_versions,
        excluded_versions=excluded,
        fixed_versions=fixed,
        fix_commits=_fix_commits(repo, references) if repo else [],
    )


# --------------------------------------------------------------------------- references

# Reference types as stored on the advisory (``clean_references``), and how each
# format writes them. OSV's types are the source; CVE tags are its conventional ones.
REFERENCE_TYPES = {
    "advisory": ("ADVISORY", ["third-party-advisory"]),
    "article": ("ARTICLE", ["technical-description"]),
    "detection": ("DETECTION", ["signature"]),
    "discussion": ("DISCUSSION", ["mailing-list"]),
    "report": ("REPORT", ["issue-tracking"]),
    "fix": ("FIX", ["patch"]),
    "introduced": ("INTRODUCED", []),
    "package": ("PACKAGE", ["product"]),
    "evidence": ("EVIDENCE", ["exploit"]),
    "web": ("WEB", []),
}
_FIX_URL = re.compile(r"/(commit|commits|pull|merge_requests)/")
_REPORT_URL = re.compile(r"/issues?/\d+")


def reference_type(url: str) -> str:
    """The type of a reference stored without one: a commit or pull request is the
    fix, an issue the report, anything else a web page."""
    if _FIX_URL.search(url):
        return "fix"
    if _REPORT_URL.search(url):
        return "report"
    return "web"


def typed_references(references: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The advisory's references, each with its type (older content has none)."""
    return [
        {
            "url": r["url"],
            "label": r.get("label", ""),
            "type": r.get("type") or reference_type(r["url"]),
        }
        for r in references
    ]


def describe(facts: AffectedFacts) -> str:
    """The affected versions in a line for readers of the page: the same facts the
    files state (``>= 1.0, < 1.4.2; >= 2.0``, ``< 1.4.2`` for a fix without a
    range, ``every version`` while there is no fix and no range)."""
    parts = []
    for i in facts.intervals:
        bounds = []
        if i.lower is not None:
            bounds.append(f"{'>=' if i.lower_inclusive else '>'} {i.lower}")
        if i.upper is not None:
            bounds.append(f"{'<=' if i.upper_inclusive else '<'} {i.upper}")
        parts.append(", ".join(bounds) or "every version")
    parts += [f"= {v}" for v in facts.affected_versions]
    text = "; ".join(parts)
    if facts.excluded_versions:
        text += " except " + ", ".join(facts.excluded_versions)
    return text
