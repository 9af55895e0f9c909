"""Validation and normalisation of the security identifiers a case carries.

Each function takes raw user input and returns the normalised value, or raises
``ValidationError`` with a message a reporter can act on. Forms, serializers and
services all call these, so a bad identifier is a field error everywhere and never
a stored mess.
"""

import re
from dataclasses import dataclass

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from django.core.exceptions import ValidationError
from packageurl import PackageURL
from univers.version_range import VersionRange

CVE_RE = re.compile(r"^CVE-(19|20)\d{2}-\d{4,}$")
CWE_RE = re.compile(r"^CWE-[1-9]\d{0,4}$")


def normalise_cve(value: str) -> str:
    value = (value or "").strip().upper()
    if not value:
        return ""
    if not CVE_RE.match(value):
        raise ValidationError("Enter a CVE id such as CVE-2026-12345.", code="invalid_cve")
    return value


def normalise_cwe(value: str) -> str:
    value = (value or "").strip().upper()
    if not value:
        return ""
    if value.isdigit():
        value = f"CWE-{value}"
    if not CWE_RE.match(value):
        raise ValidationError("Enter a CWE id such as CWE-79.", code="invalid_cwe")
    return value


def normalise_purl(value: str, *, allow_version: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        purl = PackageURL.from_string(value)
    except ValueError as exc:
        raise ValidationError(
            f"Not a valid package URL (purl): {exc}. Example: pkg:pypi/requests@2.31.0",
            code="invalid_purl",
        ) from exc
    if purl.version and not allow_version:
        raise ValidationError("Give the package without a version.", code="invalid_purl")
    return purl.to_string()


def purl_without_version(value: str) -> str:
    """The package identity that duplicate detection and projects compare on."""
    if not value:
        return ""
    purl = PackageURL.from_string(value)
    return PackageURL(
        type=purl.type, namespace=purl.namespace, name=purl.name, qualifiers=None, subpath=None
    ).to_string()


def normalise_vers(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not value.startswith("vers:"):
        raise ValidationError(
            "Enter a vers range such as vers:pypi/>=1.0|<1.4.2.", code="invalid_vers"
        )
    try:
        return str(VersionRange.from_string(value))
    except Exception as exc:  # univers raises many exception types for bad input
        raise ValidationError(f"Not a valid vers range: {exc}", code="invalid_vers") from exc


@dataclass(frozen=True)
class CvssScore:
    version: str
    vector: str
    score: float
    severity: str


def parse_cvss(value: str) -> CvssScore | None:
    """Parse a CVSS 3.x or 4.0 vector; return its normalised vector and base score."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if value.startswith("CVSS:4.0/"):
            c4 = CVSS4(value)
            return CvssScore("4.0", c4.clean_vector(), float(c4.base_score), c4.severity.lower())
        if value.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            c3 = CVSS3(value)
            score = float(c3.scores()[0])
            severity = c3.severities()[0].lower()
            return CvssScore(value[5:8], c3.clean_vector(), score, severity)
    except CVSSError as exc:
        raise ValidationError(f"Not a valid CVSS vector: {exc}", code="invalid_cvss") from exc
    raise ValidationError(
        "Enter a CVSS 3.1 or 4.0 vector starting with CVSS:3.1/ or CVSS:4.0/.",
        code="invalid_cvss",
    )


def normalise_cvss(value: str, version: str | None = None) -> str:
    parsed = parse_cvss(value)
    if parsed is None:
        return ""
    if version and not parsed.version.startswith(version):
        raise ValidationError(f"Expected a CVSS {version} vector.", code="invalid_cvss")
    return parsed.vector
