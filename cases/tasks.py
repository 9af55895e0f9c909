"""Tasks of the cases app (django-q2). Each takes primary keys only and calls a service."""

from __future__ import annotations

from typing import Any

from cases import audit, batches, page_cache, public_intake


def process_report_batch(batch_id: int) -> None:
    batches.process_batch(batch_id)


def resume_stalled_report_batches() -> int:
    """Scheduled (``setup_schedules``): batches whose task was lost, queued again."""
    return batches.resume_stalled_batches()


def audit_checkpoint() -> int:
    """Scheduled (``setup_schedules``): anchor the audit chain's head outside the
    database (``audit.write_checkpoint``); returns the anchored row id."""
    return audit.write_checkpoint().head_id


def report_batch_task_done(task: Any) -> None:
    """Hook of ``process_report_batch``: a task that failed (an error, its timeout)
    leaves its batch marked failed, not "processing" for ever; what it stored stays."""
    if not task.success and task.args:
        batches.fail_batch(task.args[0])


def purge_held_intake() -> int:
    """Scheduled (``setup_schedules``, hourly): reports sent without an account and never
    confirmed, and upload stashes, past their expiry (``public_intake.purge``)."""
    return sum(public_intake.purge().values())


def prune_case_changes() -> int:
    """Scheduled (``setup_schedules``, hourly): change rows of the case page's cache
    stamps older than an hour, except each case's newest (``page_cache.prune``)."""
    return page_cache.prune()
