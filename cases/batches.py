"""Batch intake: many findings in one request, each one a report of its own.

``submit_batch`` stores a ``ReportBatch`` (a list of findings in the report schema of
``POST /api/v1/reports/``, or the results of a SARIF log mapped by ``cases.sarif``) and
processes it at once when it holds at most ``REPORT_BATCH_INLINE_MAX`` findings, else
queues ``cases.tasks.process_report_batch`` (primary key only). ``process_batch`` runs
the findings in chunks: each chunk is one transaction that also advances the batch's
progress, so a worker that dies loses no finding and repeats none (the next run resumes
at ``processed``), and each finding is validated by the single endpoint's serializer
and stored by ``services.submit_report`` inside its own savepoint, so a bad finding
never blocks the good ones and nothing is half-saved.

Per finding the result is ``created``, ``already_submitted`` (this reporter already
sent the same finding: same fingerprint) or ``rejected`` with field errors. Nothing in
a result depends on other reporters' findings or on cases: intake is not an oracle.
Duplicate candidates are computed for the created reports while processing and kept
for the SIRT only (``ReportBatch.candidates``).

A batch whose task was lost (the whole cluster killed, an enqueue that failed after the
commit, a web process that died during an inline batch) is found by
``resume_stalled_batches``, a scheduled task: unfinished and unmoved (``updated_at``)
for ``REPORT_BATCH_STALL_SECONDS``, it is queued again and resumes at ``processed``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework import serializers

from cases import access, duplicates, events, sarif, services
from cases.models import Organisation, Report, ReportBatch
from cases.serializers import ReportCreateSerializer
from cases.types import User

logger = logging.getLogger(__name__)

CREATED = "created"
ALREADY_SUBMITTED = "already_submitted"
REJECTED = "rejected"
# Findings per transaction while processing: progress is saved (and visible) per chunk.
CHUNK = 50
# Duplicate candidates kept per created report (SIRT only).
CANDIDATES_PER_REPORT = 3


class TooManyFindings(Exception):
    def __init__(self, count: int) -> None:
        limit = settings.REPORT_BATCH_MAX_FINDINGS
        super().__init__(
            f"{count} findings in one request; at most {limit} are taken. Split the batch."
        )
        self.count = count


class BatchFindingSerializer(ReportCreateSerializer):
    """One finding of a batch: exactly the single endpoint's report schema, without
    attachments (a batch carries none). Runs in the task too, where there is no
    request: the submitter comes in the context as ``user``."""

    # DRF drops a declared field that a subclass sets to None; the stubs know no such rule.
    attachments = None  # type: ignore[assignment]

    def validate_organisation(self, value: str) -> Organisation | None:
        if not value:
            return None
        org = access.member_organisations(self.context["user"]).filter(slug=value).first()
        if org is None:
            raise serializers.ValidationError("You are not a member of this organisation.")
        return org


def organisation_for(user: User, slug: str) -> Organisation | None:
    """The batch's organisation: one of the submitter's, by slug (blank: none)."""
    if not slug:
        return None
    org = access.member_organisations(user).filter(slug=slug).first()
    if org is None:
        raise ValidationError({"organisation": ["You are not a member of this organisation."]})
    return org


def findings_from_list(items: Iterable[Any]) -> list[dict[str, Any]]:
    """A JSON list of findings as stored findings (``ref`` is their place in the list)."""
    return [{"ref": f"findings/{i}", "data": item} for i, item in enumerate(items)]


def parse_json(raw: bytes | str) -> Any:
    """An uploaded file as JSON, strictly: ``NaN`` and ``Infinity`` are no JSON (and no
    database would store them); ``ValueError`` for anything that is not."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    return json.loads(raw, parse_constant=refuse)


class InvalidSarif(Exception):
    """The log does not match the SARIF 2.1.0 schema: ``errors`` as (path, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        path, message = errors[0]
        super().__init__(f"The log does not match the SARIF 2.1.0 schema: {path}: {message}")
        self.errors = errors


def findings_from_sarif(log: Any, *, purl: str = "", vers: str = "") -> list[dict[str, Any]]:
    """The results of a SARIF log as stored findings (``cases.sarif``); raises
    ``InvalidSarif`` or ``TooManyFindings``, and ``ValidationError`` for a log without
    results."""
    errors = sarif.schema_errors(log)
    if errors:
        raise InvalidSarif(errors)
    count = sarif.result_count(log)
    if count > settings.REPORT_BATCH_MAX_FINDINGS:
        raise TooManyFindings(count)
    if not count:
        raise ValidationError({"runs": ["The log holds no results."]})
    return [f.as_json() for f in sarif.findings(log, purl=purl, vers=vers)]


# --------------------------------------------------------------------------- submitting


def submit_batch(
    *,
    submitted_by: User,
    source: str,
    findings: list[dict[str, Any]],
    organisation: Organisation | None = None,
) -> ReportBatch:
    """Store a batch; process it now when small, else queue it for the task cluster.

    ``findings``: dicts with ``ref``, ``data`` (the report fields), and optionally
    ``fingerprint`` (a scanner's own) and ``errors`` (refused before validation).
    """
    if len(findings) > settings.REPORT_BATCH_MAX_FINDINGS:
        raise TooManyFindings(len(findings))
    if not findings:
        raise ValidationError({"findings": ["Send at least one finding."]})
    batch = ReportBatch.objects.create(
        submitted_by=submitted_by,
        organisation=organisation,
        source=source,
        findings=[_storable(finding, submitted_by) for finding in findings],
        total=len(findings),
    )
    if len(findings) <= settings.REPORT_BATCH_INLINE_MAX:
        process_batch(batch.pk)
        batch.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


REPORT_FIELDS = frozenset(BatchFindingSerializer().fields)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(finding: dict[str, Any], user: User) -> dict[str, Any]:
    """The finding as the batch stores it until processed: the report fields only (the
    serializer ignores any other), and refused at once, with the serializer's errors,
    when it holds what PostgreSQL cannot store (NUL, unpaired surrogates)."""
    data = finding.get("data")
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k in REPORT_FIELDS}
        finding = {**finding, "data": data}
    if _storable_text(finding):
        return finding
    errors: dict[str, list[str]] = {}
    if isinstance(data, dict):
        serializer = BatchFindingSerializer(data=data, context={"user": user})
        errors = {} if serializer.is_valid() else _messages(serializer.errors)
    return {
        "ref": finding.get("ref", ""),
        "errors": errors or {"non_field_errors": ["Null characters are not allowed."]},
    }


def _storable_text(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" not in value and not _SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_storable_text(k) and _storable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable_text(v) for v in value)
    return True


def _enqueue(batch_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "cases.tasks.process_report_batch",
        batch_id,
        group="report-batches",
        hook="cases.tasks.report_batch_task_done",
    )


# --------------------------------------------------------------------------- processing


def process_batch(batch_id: int) -> None:
    """Process what is left of a batch (idempotent: a finished batch is left alone)."""
    with transaction.atomic():
        batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_finished:
            return
        batch.status = ReportBatch.Status.PROCESSING
        batch.started_at = batch.started_at or timezone.now()
        batch.updated_at = timezone.now()
        batch.save(update_fields=["status", "started_at", "updated_at"])
    while True:
        created = _process_chunk(batch_id)
        if created is None:
            break
        try:
            _record_candidates(batch_id, created)
        except Exception:  # hints for triage only: the batch is processed without them
            logger.exception("Batch %s: duplicate candidates not recorded", batch_id)
    _finish(batch_id)


def _process_chunk(batch_id: int) -> list[int] | None:
    """The next chunk in one transaction, the batch row locked (two workers never take
    the same findings); the ids of the reports it created, None when nothing is left."""
    with transaction.atomic():
        batch = (
            ReportBatch.objects.select_for_update().select_related("submitted_by").get(pk=batch_id)
        )
        if batch.processed >= batch.total:
            return None
        chunk = batch.findings[batch.processed : batch.processed + CHUNK]
        results = [_process_finding(batch, finding) for finding in chunk]
        counts = {CREATED: 0, ALREADY_SUBMITTED: 0, REJECTED: 0}
        for result in results:
            counts[result["status"]] += 1
        batch.results = [*batch.results, *results]
        batch.processed += len(chunk)
        batch.created_count += counts[CREATED]
        batch.already_submitted_count += counts[ALREADY_SUBMITTED]
        batch.rejected_count += counts[REJECTED]
        batch.updated_at = timezone.now()
        batch.resumed_count = 0  # it advances: the cap counts resumptions without progress
        batch.save(
            update_fields=[
                "results",
                "processed",
                "created_count",
                "already_submitted_count",
                "rejected_count",
                "updated_at",
                "resumed_count",
            ]
        )
    return [r["report"] for r in results if r["status"] == CREATED]


def _process_finding(batch: ReportBatch, finding: dict[str, Any]) -> dict[str, Any]:
    ref = finding.get("ref", "")
    if finding.get("errors"):
        return {"ref": ref, "status": REJECTED, "errors": finding["errors"]}
    data = finding.get("data")
    if not isinstance(data, dict):
        return _rejected(ref, {"non_field_errors": ["A finding is an object of report fields."]})
    serializer = BatchFindingSerializer(data=data, context={"user": batch.submitted_by})
    if not serializer.is_valid():
        return _rejected(ref, _messages(serializer.errors))
    fields = serializer.validated_data
    try:
        with transaction.atomic():
            report, created = services.submit_report(
                reporter=batch.submitted_by,
                title=fields["title"],
                description=fields["description"],
                organisation=fields.get("organisation") or batch.organisation,
                purl=fields.get("purl", ""),
                vers=fields.get("vers", ""),
                cwe=fields.get("cwe", ""),
                cvss_vector=fields.get("cvss_vector", ""),
                wants_credit=fields.get("wants_credit", True),
                fingerprint=finding.get("fingerprint") or "",
                announce=False,  # the batch is announced once, when done
            )
    except ValidationError as exc:
        return _rejected(ref, exc.message_dict if hasattr(exc, "error_dict") else _non_field(exc))
    except DatabaseError:
        # Only this finding's savepoint is rolled back; the others are stored.
        logger.exception("Batch %s: finding %s could not be stored", batch.pk, ref)
        return _rejected(ref, {"non_field_errors": ["This finding could not be stored."]})
    return {"ref": ref, "status": CREATED if created else ALREADY_SUBMITTED, "report": report.pk}


def _rejected(ref: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"ref": ref, "status": REJECTED, "errors": errors}


def _non_field(exc: ValidationError) -> dict[str, list[str]]:
    return {"non_field_errors": list(exc.messages)}


def _messages(errors: Any) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in errors.items()}


def _record_candidates(batch_id: int, report_ids: list[int]) -> None:
    """Duplicate candidates of the reports just created, for the SIRT's view of the batch
    (read outside the chunk's transaction: it only reads)."""
    if not report_ids:
        return
    found: dict[str, list[list[Any]]] = {}
    for report in Report.objects.filter(pk__in=report_ids):
        candidates = duplicates.candidates_for(report, limit=CANDIDATES_PER_REPORT)
        if candidates:
            found[str(report.pk)] = [[c.kind, c.target.pk, round(c.score, 3)] for c in candidates]
    if found:
        with transaction.atomic():
            batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
            batch.candidates = {**batch.candidates, **found}
            batch.updated_at = timezone.now()
            batch.save(update_fields=["candidates", "updated_at"])


def _finish(batch_id: int) -> None:
    with transaction.atomic():
        batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_finished:
            return
        batch.status = ReportBatch.Status.DONE
        batch.finished_at = batch.updated_at = timezone.now()
        batch.findings = []  # the reports hold the findings now; no second copy is kept
        batch.save(update_fields=["status", "finished_at", "updated_at", "findings"])
        if batch.created_count:
            events.emit("report.batch.received", batch_id=batch.pk)
        events.emit("report.batch.completed", batch_id=batch.pk)


def fail_batch(batch_id: int) -> None:
    """Mark a batch failed (its task died); what was processed stays processed."""
    with transaction.atomic():
        batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_finished:
            return
        batch.status = ReportBatch.Status.FAILED
        batch.finished_at = batch.updated_at = timezone.now()
        batch.save(update_fields=["status", "finished_at", "updated_at"])
        events.emit("report.batch.completed", batch_id=batch.pk)


def resume_stalled_batches() -> int:
    """Queue again every batch left queued or processing that has not moved for
    ``REPORT_BATCH_STALL_SECONDS``: its task was lost. The task resumes at
    ``processed``; the chunks done stay done (results, counts and reports were committed
    together), so no finding is stored twice, and a second task on the same batch (the
    broker handing the old one out again) waits for the row lock and finds less or
    nothing left. A processing batch queued again ``REPORT_BATCH_MAX_RESUMPTIONS`` times
    without advancing is marked failed instead of killing workers for ever. Returns how
    many batches were queued again.
    """
    now = timezone.now()
    stalled = ReportBatch.objects.filter(
        status__in=[ReportBatch.Status.QUEUED, ReportBatch.Status.PROCESSING],
        updated_at__lt=now - timedelta(seconds=settings.REPORT_BATCH_STALL_SECONDS),
    )
    resumed = 0
    for batch_id in list(stalled.values_list("pk", flat=True)):
        with transaction.atomic():
            # Checked again under the lock; a row locked now is in a live worker's chunk.
            batch = stalled.select_for_update(skip_locked=True).filter(pk=batch_id).first()
            if batch is None:
                continue
            started = batch.status == ReportBatch.Status.PROCESSING
            if started and batch.resumed_count >= settings.REPORT_BATCH_MAX_RESUMPTIONS:
                logger.error(
                    "Batch %s: no progress after %s resumptions; marked failed",
                    batch.pk,
                    batch.resumed_count,
                )
                fail_batch(batch.pk)
                continue
            # Only a started batch counts: one never started cannot be what kills workers.
            batch.resumed_count += int(started)
            batch.updated_at = now
            batch.save(update_fields=["resumed_count", "updated_at"])
            transaction.on_commit(partial(_enqueue, batch.pk))
        logger.warning(
            "Batch %s stalled (%s, %s of %s findings): queued again",
            batch.pk,
            batch.status,
            batch.processed,
            batch.total,
        )
        resumed += 1
    return resumed


# --------------------------------------------------------------------------- reading


def get_batch_for(user: User, pk: int) -> ReportBatch:
    """A batch its submitter or the SIRT may read; ``ReportBatch.DoesNotExist`` (a 404)
    for anyone else, exactly as for a missing one."""
    return access.visible_report_batches(user).get(pk=pk)
