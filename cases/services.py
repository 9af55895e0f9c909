"""Workflows that span several models: triage, participants, discussion, files.

Each function is one transaction: lock, check, change, write the timeline entry.
Views, the API, commands and tasks call these; none re-implements them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import access, audit, events
from cases.models import (
    AffectedPackage,
    Attachment,
    Case,
    CaseAccessRecord,
    CaseCounter,
    CaseState,
    Comment,
    CommentVisibility,
    Credit,
    Organisation,
    Participant,
    ParticipantRole,
    Project,
    Report,
    ReportStatus,
    StaleEdit,
    TransitionError,
    Vulnerability,
)
from cases.types import User
from cases.uploads import check_upload
from cases.validators import normalise_cve, normalise_cwe, parse_cvss, purl_without_version

Role = ParticipantRole


# --------------------------------------------------------------------------- reports

# What every submitter is told, web and API alike. It never depends on what else is in
# the queue or under coordination: the answer to a submission must not be an oracle.
RECEIVED_NEXT_STEPS = (
    "The SIRT triages every new report; the report's page (and the API) shows the outcome. "
    "If it describes a finding already under coordination, you are notified once a "
    "coordinator confirms it."
)


def submit_report(
    *,
    reporter: User,
    title: str,
    description: str,
    organisation: Organisation | None = None,
    purl: str = "",
    vers: str = "",
    cwe: str = "",
    cvss_vector: str = "",
    wants_credit: bool = True,
    files: Iterable[UploadedFile] = (),
    fingerprint: str = "",
    announce: bool = True,
) -> tuple[Report, bool]:
    """Store a report; returns (report, created). The same finding twice is one report.

    ``announce=False``: no ``report.received`` event; the caller announces many reports
    at once (a batch: ``report.batch.received``), not one mail per finding.

    A finding is the same when its ``fingerprint`` is: the one given (a scanner's own,
    e.g. SARIF ``partialFingerprints``, see ``cases.sarif``), else a hash of the content.
    The database holds one report per (reporter, fingerprint): of concurrent identical
    submissions one inserts, the others get its report.
    """
    fingerprint = fingerprint or Report.compute_fingerprint(
        title=title,
        description=description,
        purl=purl,
        vers=vers,
        cwe=cwe,
        cvss_vector=cvss_vector,
    )
    existing = Report.objects.filter(reporter=reporter, fingerprint=fingerprint).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                title=title.strip(),
                description=description,
                reporter=reporter,
                reporter_organisation=organisation,
                purl=purl,
                package=purl_without_version(purl) if purl else "",
                vers=vers,
                cwe=cwe,
                cvss_vector=cvss_vector,
                wants_credit=wants_credit,
                fingerprint=fingerprint,
            )
            for upload in files:
                store_attachment(upload, uploaded_by=reporter, report=report)
            if announce:
                events.emit("report.received", report_id=report.pk)
    except IntegrityError:
        # The same finding committed by a concurrent request since the check above (this
        # savepoint is rolled back; an outer transaction, such as a batch's, goes on).
        existing = Report.objects.filter(reporter=reporter, fingerprint=fingerprint).first()
        if existing is None:
            raise
        return existing, False
    return report, True


def _lock_new_report(report: Report) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.NEW:
        raise TransitionError(f"This report is already {report.get_status_display().lower()}.")
    return report


def open_case_from_report(
    report: Report,
    actor: User,
    *,
    title: str | None = None,
    summary: str = "",
    projects: Iterable[Project] = (),
) -> Case:
    """Triage: a new report becomes a new case, its reporter a reporter participant."""
    with transaction.atomic():
        report = _lock_new_report(report)
        now = timezone.now()
        case_title = (title or report.title).strip()
        case = Case.objects.create(
            reference=CaseCounter.next_reference(now.year),
            title=case_title,
            # The triage form offers the report's title: kept as it is, it is still the
            # reporter's wording (shown to others only once reviewed; cases.access).
            title_from_report=report if case_title == report.title.strip() else None,
            summary=summary,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        case.log(actor, "case.opened", {"report": report.pk})
        add_participant(case, actor, user=actor, role=Role.COORDINATOR, notify=False)
        for project in projects:
            add_project(case, actor, project)
        vuln = Vulnerability.objects.create(
            case=case,
            title=report.title,
            title_from_report=report,
            cwe=report.cwe,
            description="",
        )
        _apply_cvss(vuln, report.cvss_vector)
        vuln.save()
        if report.purl:
            AffectedPackage.objects.create(
                vulnerability=vuln, purl=report.package or report.purl, vers=report.vers
            )
        # After the vulnerability exists: filing the report credits its reporter on it
        # (before, the first reporter of every case went uncredited).
        _file_report(case, report, actor, ReportStatus.IN_CASE)
        case.refresh_severity()
        events.emit("case.opened", case_id=case.pk, actor_id=getattr(actor, "pk", None))
    return case


def merge_report_into_case(report: Report, case: Case, actor: User) -> Case:
    """Triage: a report of a flaw already under coordination joins that case."""
    with transaction.atomic():
        report = _lock_new_report(report)
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise TransitionError("Duplicates can only be merged into an open case.")
        _file_report(case, report, actor, ReportStatus.DUPLICATE)
        case.log(actor, "case.report.merged", {"report": report.pk})
        case.touch()
        # The reporter learns it is a duplicate now, when a coordinator confirms it
        # (never at submission), and not in which case (the report page decides that).
        events.emit(
            "report.duplicate_confirmed", report_id=report.pk, actor_id=getattr(actor, "pk", None)
        )
    return case


def _file_report(case: Case, report: Report, actor: User, status: str) -> None:
    report.case = case
    report.status = status
    report.updated_at = timezone.now()
    report.save(update_fields=["case", "status", "updated_at"])
    add_participant(
        case,
        actor,
        user=report.reporter,
        role=Role.REPORTER,
        notify=False,
    )
    if report.wants_credit:
        first_vuln = case.vulnerabilities.first()
        if first_vuln is not None:
            Credit.objects.get_or_create(
                vulnerability=first_vuln,
                user=report.reporter,
                kind=Credit.Kind.FINDER,
                defaults={
                    "name": report.reporter.get_full_name() or report.reporter.get_username(),
                    "consented": True,
                },
            )
    for attachment in report.attachments.filter(case__isnull=True):
        attachment.case = case
        attachment.save(update_fields=["case"])


def reject_report(report: Report, actor: User, reason: str) -> Report:
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason; the reporter will see it."})
    with transaction.atomic():
        report = _lock_new_report(report)
        report.status = ReportStatus.REJECTED
        report.rejection_reason = reason.strip()
        report.updated_at = timezone.now()
        report.save(update_fields=["status", "rejection_reason", "updated_at"])
    return report


def mark_case_duplicate(case: Case, of: Case, actor: User) -> Case:
    """Merge a whole case into another: its reports and participants move over."""
    if case.pk == of.pk:
        raise TransitionError("A case cannot be a duplicate of itself.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.state not in (CaseState.NEW, CaseState.ACCEPTED, CaseState.IN_PROGRESS):
            raise TransitionError("Only a case still in triage or work can be merged.")
        for report in case.reports.all():
            confirmed_now = report.status != ReportStatus.DUPLICATE
            report.case = of
            report.status = ReportStatus.DUPLICATE
            report.updated_at = timezone.now()
            report.save(update_fields=["case", "status", "updated_at"])
            if confirmed_now:  # already told when it was merged into ``case``
                events.emit(
                    "report.duplicate_confirmed",
                    report_id=report.pk,
                    actor_id=getattr(actor, "pk", None),
                )
        for p in case.participants.active().exclude(role=Role.COORDINATOR):
            if (
                not of.participants.active()
                .filter(organisation=p.organisation, user=p.user, role=p.role)
                .exists()
            ):
                # A role given by override stays, with the merge as its recorded reason.
                kept = p.organisation is None or access.role_fits(p.organisation, p.role)
                add_participant(
                    of,
                    actor,
                    organisation=p.organisation,
                    user=p.user,
                    role=p.role,
                    notify=False,
                    override_reason=None if kept else f"Kept from {case.reference} (duplicate)",
                )
        old = case.state
        case.state = CaseState.DUPLICATE
        case.duplicate_of = of
        case.version += 1
        case.updated_at = timezone.now()
        case.save(update_fields=["state", "duplicate_of", "version", "updated_at"])
        case.log(actor, "case.state.duplicate", {"from": old, "of": of.reference})
        of.log(actor, "case.duplicate.merged", {"case": case.reference})
        of.touch()
    return case


# --------------------------------------------------------------------------- participants


def add_participant(
    case: Case,
    actor: User,
    *,
    role: str,
    organisation: Organisation | None = None,
    user: User | None = None,
    notify: bool = True,
    override_reason: str | None = None,
) -> Participant:
    """Add an organisation or a person to the case in a role.

    An organisation takes the roles of its kind (``access.KIND_ROLES``); another role
    needs a coordinator's override: ``override_reason`` (not blank), written to the
    timeline entry. ``None`` means no override was asked for.
    """
    if (organisation is None) == (user is None):
        raise ValidationError("Choose either an organisation or a person.")
    override = _role_override(actor, role, organisation, user, override_reason)
    with transaction.atomic():
        existing = case.participants.active().filter(
            organisation=organisation, user=user, role=role
        )
        if existing.exists():
            raise ValidationError(
                {"organisation" if organisation else "user": "Already a participant in this role."}
            )
        participant = Participant.objects.create(
            case=case, organisation=organisation, user=user, role=role, invited_by=actor
        )
        access.sync_grants(case, organisation=organisation, user=user)
        entry: dict[str, Any] = {
            "participant": participant.pk,
            "role": role,
            "organisation": organisation.name if organisation else None,
            "user": user.get_username() if user else None,
        }
        overridden: dict[str, Any] = {"override_reason": override} if override else {}
        case.log(actor, "case.participant.added", {**entry, **overridden})
        audit.record(
            "case.participant.added",
            actor=actor,
            obj=case,
            participant=participant.pk,
            role=role,
            organisation=organisation.slug if organisation else None,
            user=user.get_username() if user else None,
            **overridden,
        )
        case.touch()
        if notify:
            events.emit("participant.invited", case_id=case.pk, participant_id=participant.pk)
    return participant


def _role_override(
    actor: User,
    role: str,
    organisation: Organisation | None,
    user: User | None,
    override_reason: str | None,
) -> str:
    """Check that the role fits who takes it; return the override reason it needs, or ""."""
    if role == Role.COORDINATOR:
        # Coordinators are the SIRT's members; the role only records who opened a case.
        if organisation is not None or user is None or not access.is_sirt(user):
            raise ValidationError({"role": "Only a SIRT member can be a coordinator."})
        return ""
    if organisation is None:
        return ""
    if organisation.kind == Organisation.Kind.SIRT:
        raise ValidationError(
            {
                "organisation": "The SIRT coordinates every case through its members; "
                "it does not take part as a participant."
            }
        )
    if access.role_fits(organisation, role):
        return ""
    if override_reason is None:
        raise ValidationError(
            {
                "role": f"{organisation.get_kind_display()} organisations take part as "
                f"{access.kind_roles_text(organisation.kind)}. Another role needs a "
                "coordinator's override with a reason."
            }
        )
    if not access.is_sirt(actor):
        raise PermissionDenied("Only a coordinator can override the roles of an organisation.")
    reason = override_reason.strip()
    if not reason:
        raise ValidationError({"override_reason": "Say why this organisation takes this role."})
    return reason


def remove_participant(participant: Participant, actor: User) -> Participant:
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.removed_at:
            return participant
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        access.sync_grants(
            participant.case, organisation=participant.organisation, user=participant.user
        )
        participant.case.log(
            actor,
            "case.participant.removed",
            {"participant": participant.pk, "role": participant.role},
        )
        audit.record(
            "case.participant.removed",
            actor=actor,
            obj=participant.case,
            participant=participant.pk,
            role=participant.role,
        )
        participant.case.touch()
    return participant


def acknowledge(case: Case, user: User) -> list[Participant]:
    """The user's organisation (or the user) acknowledges the invitation to the case."""
    with transaction.atomic():
        mine = (
            case.participants.active()
            .filter(acknowledged_at__isnull=True)
            .filter(role__in=[Role.MAINTAINER, Role.PARTNER, Role.DOWNSTREAM, Role.REPORTER])
            .filter(access.participant_rows_q(user))
            # Lock only the participant rows: the organisation join is an outer join,
            # which PostgreSQL cannot lock.
            .select_for_update(of=("self",))
        )
        changed = list(mine)
        if not changed:
            raise TransitionError("There is nothing for you to acknowledge on this case.")
        now = timezone.now()
        for p in changed:
            p.acknowledged_at = now
            p.acknowledged_by = user
            p.save(update_fields=["acknowledged_at", "acknowledged_by"])
            case.log(user, "case.participant.acknowledged", {"participant": p.pk, "role": p.role})
        case.touch()
    return changed


def add_project(case: Case, actor: User, project: Project) -> None:
    with transaction.atomic():
        case.projects.add(project)
        case.log(actor, "case.project.added", {"project": project.name})


def remove_project(case: Case, actor: User, project: Project) -> None:
    """Take a project off the case (a triage mistake, or the flaw is not in it after all)."""
    with transaction.atomic():
        # Lock the case row: two coordinators editing the projects at once serialise here.
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.projects.filter(pk=project.pk).exists():
            raise ValidationError({"project": f"{project.name} is not a project of this case."})
        case.projects.remove(project)
        case.log(actor, "case.project.removed", {"project": project.name})
        case.touch()


# --------------------------------------------------------------------------- discussion


def post_comment(
    case: Case,
    author: User,
    body: str,
    *,
    visibility: str = CommentVisibility.ALL,
    organisation: Organisation | None = None,
) -> Comment:
    case_access = access.access_for(author, case)
    access.require(case_access, "comment_case")
    if not body.strip():
        raise ValidationError({"body": "Write something first."})
    if visibility == CommentVisibility.COORDINATORS and not case_access.is_coordinator:
        raise ValidationError({"visibility": "Only coordinators can post coordinator-only notes."})
    if visibility == CommentVisibility.ORGANISATION:
        if organisation is None:
            raise ValidationError({"organisation": "Choose the organisation that may read this."})
        if not case_access.is_coordinator and organisation.pk not in case_access.organisation_ids:
            raise ValidationError({"organisation": "You can only address your own organisation."})
    else:
        organisation = None
    with transaction.atomic():
        comment = Comment.objects.create(
            case=case, author=author, body=body, visibility=visibility, organisation=organisation
        )
        case.log(author, "case.comment.posted", {"comment": comment.pk, "visibility": visibility})
        case.touch()
        events.emit("comment.posted", case_id=case.pk, comment_id=comment.pk)
    return comment


def store_attachment(
    upload: UploadedFile,
    *,
    uploaded_by: User,
    case: Case | None = None,
    report: Report | None = None,
) -> Attachment:
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit // (1024 * 1024)} MB."}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type, safe_name = check_upload(upload)
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            report=report,
            original_name=safe_name,
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=uploaded_by,
        )
        attachment.file.save(safe_name, upload, save=False)
        attachment.save()
        if case is not None:
            case.log(
                uploaded_by,
                "case.attachment.added",
                {"attachment": attachment.pk, "sha256": attachment.sha256},
            )
            case.touch()
    return attachment


def record_view(case: Case, user: User, what: str) -> None:
    """Record a look at an embargoed case's details (the need-to-know list)."""
    if not case.is_under_embargo:
        return
    CaseAccessRecord.objects.create(case=case, user=user, what=what)
    Participant.objects.active().filter(case=case).filter(access.participant_rows_q(user)).update(
        last_seen_at=timezone.now()
    )


# --------------------------------------------------------------------------- vulnerabilities


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
    access.require(access.access_for(actor, case), "edit_vulnerability")
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


def mark_wording_reviewed(
    case: Case, actor: User, *, vulnerability: Vulnerability | None = None
) -> None:
    """A coordinator (case title) or a maintainer (a vulnerability's title) confirms
    that a title copied from a report may be read by every participant as it is.

    Until then ``cases.access`` shows it only to those who may read the report itself.
    Rewriting the title (``save_vulnerability``, ``Case.update_details``) has the same
    effect. Timeline ``case.wording.reviewed``, with ids only (never the text).
    """
    case_access = access.access_for(actor, case)
    access.require(case_access, "manage_case" if vulnerability is None else "edit_vulnerability")
    with transaction.atomic():
        if vulnerability is None:
            row: Case | Vulnerability = Case.objects.select_for_update().get(pk=case.pk)
            data: dict[str, Any] = {"field": "title"}
        else:
            row = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk, case=case)
            data = {"vulnerability": row.pk}
        if row.title_from_report_id is None:
            return
        row.title_from_report = None
        row.save(update_fields=["title_from_report"])
        case.log(actor, "case.wording.reviewed", data)
        case.touch()


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
    access.require(access.access_for(actor, case), "edit_vulnerability")
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
    access.require(access.access_for(actor, case), "edit_vulnerability")
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
    access.require(access.access_for(user, case), "view_case")
    with transaction.atomic():
        credit = Credit.objects.select_for_update().get(pk=credit.pk)
        if credit.user_id is None or credit.user_id != getattr(user, "pk", None):
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
