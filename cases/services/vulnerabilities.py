"""Vulnerabilities, their affected packages and credits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from packageurl import PackageURL
from univers.version_constraint import validate_comparators
from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange

from cases import access
from cases.models import (
    AffectedPackage,
    Case,
    Credit,
    Project,
    StaleEdit,
    Vulnerability,
)
from cases.models.vulnerabilities import affected_packages_by_project, merged_fixed_versions
from cases.types import User
from cases.validators import normalise_cve, normalise_cwe, normalise_purl, parse_cvss

# --------------------------------------------------------------------------- affected rows
# One row: a package (purl, no version), the affected range (vers) and the versions that
# fix it. Web form and API send the same rows; ``clean_affected`` decides for both, and
# refuses whatever could be read two ways rather than store a guess.

AffectedRow = dict[str, Any]  # {"purl": str, "vers": str, "fixed_versions": list[str]}


def affected_field(index: int, field: str) -> str:
    """The name an error about row ``index`` (from 0) carries: ``affected[1].vers``."""
    return f"affected[{index}].{field}"


def vers_scheme_for(purl: str) -> str:
    """The vers scheme that a range of this package must use: its purl type when
    ``univers`` knows one, else ``generic``."""
    purl_type = PackageURL.from_string(purl).type
    return purl_type if purl_type in RANGE_CLASS_BY_SCHEMES else "generic"


def _clean_purl(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("Give the package as a purl, e.g. pkg:pypi/libexample.")
    if "|" in value or any(c.isspace() for c in value):
        # A whole "purl | vers | fixed" line pasted here parses as a package named
        # "libexample|vers:..." -- never what was meant.
        raise ValidationError(
            "A purl has no spaces or “|”: put the range and the fixed versions in their own fields."
        )
    return normalise_purl(value, allow_version=False)


def _parse_range(value: str, scheme: str) -> VersionRange | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.startswith("vers:"):
        raise ValidationError(f"Give the range as vers, e.g. vers:{scheme}/>=1.0|<1.4.2.")
    try:
        parsed = VersionRange.from_string(value)
        validate_comparators(parsed.constraints)
    except Exception as exc:  # univers raises many exception types for bad input
        raise ValidationError(f"Not a valid vers range: {exc}") from exc
    if parsed.scheme != scheme:
        raise ValidationError(
            f"This package needs a vers:{scheme}/ range, not vers:{parsed.scheme}/."
        )
    constraints = list(parsed.constraints)
    for before, after in zip(constraints, constraints[1:], strict=False):
        if before.comparator == "<" and after.comparator == "=" and before.version == after.version:
            # "<1.5.0|1.5.0": 1.5.0 affected too, or the fixed version typed into the range?
            raise ValidationError(
                f"“<{before.version}|{after.version}” is ambiguous: write "
                f"<={after.version} if {after.version} is affected, or put "
                f"{after.version} under fixed versions if it is the fix."
            )
    return parsed


def _clean_fixed(values: Iterable[str], scheme: str, affected: VersionRange | None) -> list[str]:
    # univers declares ``version_class = None`` on the base class; each scheme sets it.
    version_class: Any = RANGE_CLASS_BY_SCHEMES[scheme].version_class
    cleaned: dict[str, None] = {}
    errors: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if not value or value in cleaned:
            continue
        try:
            version = version_class(value)
        except Exception:  # noqa: BLE001 -- univers raises many types for a bad version
            errors.append(f"“{value}” is not a {scheme} version.")
            continue
        if affected is not None and version in affected:
            errors.append(f"{value} is inside the affected range: a fixed version is not affected.")
            continue
        cleaned[value] = None
    if errors:
        raise ValidationError(errors)
    if cleaned and affected is None:
        raise ValidationError(
            "Give the affected range too: with a fixed version alone it is unclear "
            "which earlier versions are affected."
        )
    return list(cleaned)


def clean_affected(rows: Sequence[Mapping[str, Any]]) -> list[AffectedRow]:
    """Validate and normalise affected-package rows (``purl``, ``vers``,
    ``fixed_versions``); raise one ``ValidationError`` whose keys name row and field
    (``affected[1].vers``, rows counted from 0)."""
    errors: dict[str, list[str]] = {}
    cleaned: list[AffectedRow] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        try:
            purl = _clean_purl(row.get("purl", ""))
        except ValidationError as exc:
            errors[affected_field(index, "purl")] = exc.messages
            continue
        if purl in seen:
            errors[affected_field(index, "purl")] = [
                f"This package is already in row {seen[purl] + 1}: give all its affected "
                "versions as one range there."
            ]
            continue
        seen[purl] = index
        scheme = vers_scheme_for(purl)
        try:
            affected = _parse_range(row.get("vers", ""), scheme)
        except ValidationError as exc:
            errors[affected_field(index, "vers")] = exc.messages
            continue
        try:
            fixed = _clean_fixed(row.get("fixed_versions") or [], scheme, affected)
        except ValidationError as exc:
            errors[affected_field(index, "fixed_versions")] = exc.messages
            continue
        cleaned.append(
            {"purl": purl, "vers": str(affected) if affected else "", "fixed_versions": fixed}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply_cvss(vuln: Vulnerability, vector: str) -> None:
    parsed = parse_cvss(vector)
    if parsed is None:
        return
    if parsed.version == "4.0":
        vuln.cvss4_vector, vuln.cvss4_score = parsed.vector, parsed.score
    else:
        vuln.cvss3_vector, vuln.cvss3_score = parsed.vector, parsed.score


def save_vulnerability(
    case: Case,
    actor: User,
    *,
    vulnerability: Vulnerability | None = None,
    expected_version: int | None = None,
    title: str,
    description: str = "",
    cwe: str = "",
    cvss3_vector: str = "",
    cvss4_vector: str = "",
    cve_id: str = "",
    affected: Iterable[Mapping[str, Any]] | None = None,
) -> Vulnerability:
    """Create or edit a vulnerability; scores come from the vectors, never from input.

    ``affected`` replaces the affected-package rows (``clean_affected``), in the same
    transaction as the rest: a bad row saves nothing. ``None`` keeps them as they are."""
    access.require_on(actor, case, "edit_vulnerability")
    cwe, cve_id = normalise_cwe(cwe), normalise_cve(cve_id)
    rows = None if affected is None else clean_affected(list(affected))
    p3, p4 = parse_cvss(cvss3_vector), parse_cvss(cvss4_vector)
    if p3 and p3.version == "4.0":
        raise ValidationError({"cvss3_vector": "This is a CVSS 4.0 vector."})
    if p4 and p4.version != "4.0":
        raise ValidationError({"cvss4_vector": "This is not a CVSS 4.0 vector."})
    if cve_id:
        clash = Vulnerability.objects.filter(cve_id=cve_id)
        if vulnerability is not None:
            clash = clash.exclude(pk=vulnerability.pk)
        if clash.exists():
            raise ValidationError(
                {"cve_id": "This CVE id is already used by another vulnerability."}
            )
    with transaction.atomic():
        creating = vulnerability is None
        if vulnerability is None:
            vuln = Vulnerability(case=case)
        else:
            vuln = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk, case=case)
            if expected_version is not None and vuln.version != expected_version:
                raise StaleEdit(StaleEdit.message)
            vuln.version += 1
        if vuln.title != title.strip():
            # Rewritten: the editor's wording now, no longer a report's (cases.access).
            vuln.title_from_report = None
        vuln.title, vuln.description, vuln.cwe, vuln.cve_id = (
            title.strip(),
            description,
            cwe,
            cve_id,
        )
        vuln.cvss3_vector = p3.vector if p3 else ""
        vuln.cvss3_score = p3.score if p3 else None
        vuln.cvss4_vector = p4.vector if p4 else ""
        vuln.cvss4_score = p4.score if p4 else None
        vuln.updated_at = timezone.now()
        vuln.save()
        if rows is not None:
            vuln.affected.all().delete()
            AffectedPackage.objects.bulk_create(
                [
                    AffectedPackage(
                        vulnerability=vuln,
                        purl=a["purl"],
                        vers=a["vers"],
                        fixed_versions=a["fixed_versions"],
                    )
                    for a in rows
                ]
            )
        case.log(
            actor,
            "case.vulnerability.added" if creating else "case.vulnerability.edited",
            {"vulnerability": vuln.pk, "cve": cve_id},
        )
        case.refresh_severity()
    return vuln


class NoAffectedPackage(ValidationError):
    """The project has no affected package on the case to record a fixed version on."""


def record_project_fixed_versions(
    case: Case, project: Project, actor: User, fixed_versions: Sequence[str]
) -> bool:
    """Record the versions that fix ``project`` in ``case``: the fixed versions of every
    affected package of the case whose purl is the project's. The release plan reads
    them back (``cases.models.vulnerabilities.fixed_versions_by_project``); there is no
    other copy. Returns whether anything changed.

    Each version must parse in the package's ecosystem and lie outside its affected
    range (field ``fixed_versions``); ``NoAffectedPackage`` when the case lists no
    package of the project. The caller checks that ``actor`` may speak for the project
    (``disclosure.access.can_update_project_release``) and writes the timeline entry;
    the edited vulnerabilities get a new version, so a form opened before refuses to
    overwrite this.
    """
    access.require_on(actor, case, "edit_vulnerability")
    wanted = list(dict.fromkeys(v.strip() for v in fixed_versions if v.strip()))
    with transaction.atomic():
        rows = affected_packages_by_project(case.pk, [project])[project.pk]
        if not rows:
            if not wanted:
                return False
            raise NoAffectedPackage(
                {
                    "fixed_versions": f"No affected package of {project.name} is recorded on "
                    "this case: add one to a vulnerability first, then record its fixed version."
                }
            )
        if merged_fixed_versions(rows) == wanted and all(
            list(r.fixed_versions) == wanted for r in rows
        ):
            return False
        vuln_ids = sorted({r.vulnerability_id for r in rows})
        list(Vulnerability.objects.select_for_update().filter(pk__in=vuln_ids).order_by("pk"))
        locked = list(
            AffectedPackage.objects.select_for_update().filter(pk__in=[r.pk for r in rows])
        )
        messages: list[str] = []
        for row in locked:
            try:
                scheme = vers_scheme_for(row.purl)
                affected = _parse_range(row.vers, scheme)
                _clean_fixed(wanted, scheme, affected)
            except ValidationError as exc:
                messages += [f"{row.purl}: {m}" for m in exc.messages]
            except ValueError:
                messages.append(f"{row.purl} is not a valid purl; edit the vulnerability.")
        if messages:
            raise ValidationError({"fixed_versions": messages})
        for row in locked:
            row.fixed_versions = wanted
        AffectedPackage.objects.bulk_update(locked, ["fixed_versions"])
        now = timezone.now()
        for vuln in Vulnerability.objects.filter(pk__in=vuln_ids):
            vuln.version += 1
            vuln.updated_at = now
            vuln.save(update_fields=["version", "updated_at"])
    return True


# --------------------------------------------------------------------------- credits
# Timeline entries of credits carry ids and the kind, never the name: every participant
# reads the timeline, and a credited name can be a reporter whom others must not learn of.


def add_credit(
    vulnerability: Vulnerability,
    actor: User,
    *,
    name: str,
    kind: str = Credit.Kind.FINDER,
    user: User | None = None,
    consented: bool = False,
) -> Credit:
    """Credit someone on a vulnerability. A credit with an account waits for its person's
    consent (``set_credit_consent``); for one without, the actor vouches for it."""
    case = vulnerability.case
    access.require_on(actor, case, "edit_vulnerability")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the name to credit."})
    if kind not in Credit.Kind.values:
        raise ValidationError({"kind": "Choose a kind of credit."})
    if user is not None and consented:
        raise ValidationError(
            {"consented": "Only the credited person can consent for their own account."}
        )
    with transaction.atomic():
        vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
        if user is not None and vulnerability.credits.filter(user=user, kind=kind).exists():
            raise ValidationError({"user": "This person already has this credit."})
        credit = Credit.objects.create(
            vulnerability=vulnerability, name=name, kind=kind, user=user, consented=consented
        )
        case.log(
            actor,
            "case.credit.added",
            {
                "vulnerability": vulnerability.pk,
                "credit": credit.pk,
                "kind": kind,
                "consented": consented,
            },
        )
        case.touch()
    return credit


def remove_credit(credit: Credit, actor: User) -> None:
    case = credit.vulnerability.case
    access.require_on(actor, case, "edit_vulnerability")
    with transaction.atomic():
        locked = Credit.objects.select_for_update().filter(pk=credit.pk).first()
        if locked is None:  # removed by someone else a moment ago
            return
        data = {"vulnerability": locked.vulnerability_id, "credit": locked.pk, "kind": locked.kind}
        locked.delete()
        case.log(actor, "case.credit.removed", data)
        case.touch()


def set_credit_consent(credit: Credit, user: User, consented: bool) -> Credit:
    """The credited person gives or withdraws consent to be named in advisories."""
    case = credit.vulnerability.case
    case_access = access.require_on(user, case, "view_case")
    with transaction.atomic():
        credit = Credit.objects.select_for_update().get(pk=credit.pk)
        if not access.can_consent_to_credit(case_access, credit):
            raise PermissionDenied("Only the credited person can change this consent.")
        if credit.consented == consented:
            return credit
        credit.consented = consented
        credit.save(update_fields=["consented"])
        case.log(
            user,
            "case.credit.consent_given" if consented else "case.credit.consent_withdrawn",
            {"vulnerability": credit.vulnerability_id, "credit": credit.pk, "consented": consented},
        )
        case.touch()
    return credit
