"""Vulnerabilities and their credits."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import access
from cases.models import (
    AffectedPackage,
    Case,
    Credit,
    StaleEdit,
    Vulnerability,
)
from cases.types import User
from cases.validators import normalise_cve, normalise_cwe, parse_cvss


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
    affected: Iterable[dict] = (),
) -> Vulnerability:
    """Create or edit a vulnerability; scores come from the vectors, never from input."""
    access.require_on(actor, case, "edit_vulnerability")
    cwe, cve_id = normalise_cwe(cwe), normalise_cve(cve_id)
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
        affected = list(affected)
        if affected or not creating:
            vuln.affected.all().delete()
            AffectedPackage.objects.bulk_create(
                [
                    AffectedPackage(
                        vulnerability=vuln,
                        purl=a["purl"],
                        vers=a.get("vers", ""),
                        fixed_versions=list(a.get("fixed_versions", [])),
                    )
                    for a in affected
                ]
            )
        case.log(
            actor,
            "case.vulnerability.added" if creating else "case.vulnerability.edited",
            {"vulnerability": vuln.pk, "cve": cve_id},
        )
        case.refresh_severity()
    return vuln


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
