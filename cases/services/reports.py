"""Reports and triage: a report arrives; the SIRT opens a case from it, merges it
into a case, or rejects it; a whole case is merged into another as a duplicate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import access, audit, events
from cases.models import (
    AffectedPackage,
    Attachment,
    Case,
    CaseCounter,
    CaseState,
    Credit,
    Organisation,
    Participant,
    ParticipantRole,
    Project,
    Report,
    ReportMerge,
    ReportStatus,
    TransitionError,
    Vulnerability,
)
from cases.services.case import _add_project
from cases.services.discussion import store_attachment
from cases.services.participants import _add_participant, _remove_participant
from cases.services.vulnerabilities import _apply_cvss
from cases.types import User
from cases.validators import purl_without_version

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
    submissions one inserts, the others get its report. A report on behalf of an
    organisation comes from one of its members (``access.can_report_for``).
    """
    if organisation is not None and not access.can_report_for(reporter, organisation):
        raise PermissionDenied("You can only report on behalf of your own organisations.")
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
    access.require_triage(actor)
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
        _add_participant(case, actor, user=actor, role=Role.COORDINATOR, notify=False)
        for project in projects:
            _add_project(case, actor, project)
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
    """Triage: a report of a flaw already under coordination joins that case.

    What the merge writes is kept in a ``ReportMerge`` row, so that a coordinator can
    undo it (``undo_report_merge``)."""
    access.require_triage(actor)
    with transaction.atomic():
        report = _lock_new_report(report)
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise TransitionError("Duplicates can only be merged into an open case.")
        filed = _file_report(case, report, actor, ReportStatus.DUPLICATE)
        ReportMerge.objects.create(
            report=report,
            case=case,
            merged_by=actor,
            participant=filed.participant,
            credit=filed.credit,
            attachment_ids=filed.attachment_ids,
        )
        case.log(actor, "case.report.merged", {"report": report.pk})
        case.touch()
        # The reporter learns it is a duplicate now, when a coordinator confirms it
        # (never at submission), and not in which case (the report page decides that).
        events.emit(
            "report.duplicate_confirmed", report_id=report.pk, actor_id=getattr(actor, "pk", None)
        )
    return case


def live_merge(report: Report) -> ReportMerge | None:
    """The merge that put this report where it is now, while it can still be undone."""
    if report.status != ReportStatus.DUPLICATE or report.case_id is None:
        return None
    return (
        ReportMerge.objects.filter(report=report, case_id=report.case_id, undone_at__isnull=True)
        .select_related("case")
        .first()
    )


def undo_report_merge(report: Report, actor: User) -> Report:
    """Triage: a merge made by mistake is undone; the report returns to triage.

    Reverts what ``merge_report_into_case`` wrote (its ``ReportMerge``): the report
    leaves the case, the reporter's participant row and finder credit go if the merge
    created them and no other report of the same reporter is still in the case, the
    attachments it moved belong to the report alone again. The case's timeline keeps
    both entries (``case.report.merged`` and ``case.report.merge_undone``)."""
    access.require_triage(actor)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        merge = live_merge(report)
        if merge is None:
            raise TransitionError(
                "This report is not in a case through a merge that can be undone "
                "(it was never merged, the merge was undone, or its case was merged since)."
            )
        case = Case.objects.select_for_update().get(pk=merge.case_id)
        if not case.is_open:
            raise TransitionError(
                f"{case.reference} is {case.get_state_display().lower()}: a merge into it "
                "can no longer be undone."
            )
        others_stay = (
            case.reports.filter(reporter_id=report.reporter_id).exclude(pk=report.pk).exists()
        )
        report.case = None
        report.status = ReportStatus.NEW
        report.updated_at = timezone.now()
        report.save(update_fields=["case", "status", "updated_at"])
        removed_participant = None
        if merge.participant_id is not None and not others_stay:
            participant = Participant.objects.select_for_update().get(pk=merge.participant_id)
            if participant.removed_at is None:
                _remove_participant(participant, actor)
                removed_participant = participant.pk
        removed_credit = None
        if merge.credit_id is not None and not others_stay:
            removed_credit = merge.credit_id
            Credit.objects.filter(pk=merge.credit_id).delete()
        moved = Attachment.objects.filter(
            pk__in=merge.attachment_ids, report=report, case=case
        ).update(case=None)
        merge.undone_at = timezone.now()
        merge.undone_by = actor
        merge.save(update_fields=["undone_at", "undone_by"])
        case.log(actor, "case.report.merge_undone", {"report": report.pk})
        audit.record(
            "case.report.merge_undone",
            actor=actor,
            obj=case,
            report=report.pk,
            participant=removed_participant,
            credit=removed_credit,
            attachments=moved,
        )
        case.touch()
    return report


@dataclass
class _Filed:
    """What filing a report wrote besides the report itself (``ReportMerge`` keeps it)."""

    participant: Participant | None
    credit: Credit | None
    attachment_ids: list[int]


def _file_report(case: Case, report: Report, actor: User, status: str) -> _Filed:
    report.case = case
    report.status = status
    report.updated_at = timezone.now()
    report.save(update_fields=["case", "status", "updated_at"])
    participant = None
    # A reporter with an earlier report in the case takes part already (adding them
    # again would be refused as "already a participant").
    if (
        not case.participants.active()
        .filter(user=report.reporter, organisation__isnull=True, role=Role.REPORTER)
        .exists()
    ):
        participant = _add_participant(
            case, actor, user=report.reporter, role=Role.REPORTER, notify=False
        )
    credit = None
    if report.wants_credit:
        first_vuln = case.vulnerabilities.first()
        if first_vuln is not None:
            found, created = Credit.objects.get_or_create(
                vulnerability=first_vuln,
                user=report.reporter,
                kind=Credit.Kind.FINDER,
                defaults={
                    "name": report.reporter.get_full_name() or report.reporter.get_username(),
                    "consented": True,
                },
            )
            credit = found if created else None
    attachment_ids = list(report.attachments.filter(case__isnull=True).values_list("pk", flat=True))
    Attachment.objects.filter(pk__in=attachment_ids).update(case=case)
    return _Filed(participant, credit, attachment_ids)


def reject_report(report: Report, actor: User, reason: str) -> Report:
    """Triage: the report is not taken up; the reporter reads the reason."""
    access.require_triage(actor)
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
    access.require_on(actor, case, "manage_case")
    access.require_on(actor, of, "manage_case")
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
                _add_participant(
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
