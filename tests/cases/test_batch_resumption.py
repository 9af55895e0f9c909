"""Batches whose task was lost (the whole cluster killed mid-batch, an enqueue that never
happened) are queued again by the scheduled sweep and resume where they stopped,
storing no finding twice (``cases.batches.resume_stalled_batches``). Time is travelled;
django-q2 runs the queued task in this process (sync mode)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_q.conf import Conf

from cases import batches, tasks
from cases.models import Report, ReportBatch
from disclosure.notifications.models import Channel, Notification
from tests import sarif_logs

pytestmark = pytest.mark.django_db

STALL = 600
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class WorkerKilled(BaseException):
    """The process is gone: no ``except Exception``, no task hook, nothing after it."""


@pytest.fixture(autouse=True)
def _queue(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.REPORT_BATCH_STALL_SECONDS = STALL
    settings.REPORT_BATCH_MAX_RESUMPTIONS = 3
    settings.REPORT_BATCH_INLINE_MAX = 10  # larger batches are queued
    monkeypatch.setattr(Conf, "SYNC", True)  # a queued task runs at once, hook included


def sarif_batch(user: Any, results: list[dict[str, Any]]) -> ReportBatch:
    """A batch stored and queued; its task is lost (the test's transaction never
    commits, so the enqueue after commit never happens)."""
    findings = batches.findings_from_sarif(sarif_logs.log(results))
    batch = batches.submit_batch(
        submitted_by=user, source=ReportBatch.Source.SARIF, findings=findings
    )
    assert batch.status == ReportBatch.Status.QUEUED
    return batch


def results(count: int, *, passed: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [
        sarif_logs.result(i, kind="pass", level="none") if i in passed else sarif_logs.result(i)
        for i in range(count)
    ]


def run_until_killed(batch: ReportBatch, chunks: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch's task, its cluster killed after ``chunks`` chunks."""
    real = batches._process_chunk
    done: list[int] = []

    def chunk_then_die(batch_id: int) -> list[int] | None:
        if len(done) == chunks:
            raise WorkerKilled
        done.append(batch_id)
        return real(batch_id)

    monkeypatch.setattr(batches, "_process_chunk", chunk_then_die)
    with pytest.raises(WorkerKilled):
        tasks.process_report_batch(batch.pk)
    monkeypatch.setattr(batches, "_process_chunk", real)


def sweep(capture: Any) -> int:
    """The scheduled task, its transaction committed (the re-queued task runs)."""
    with capture(execute=True):
        return tasks.resume_stalled_report_batches()


def test_a_batch_left_processing_by_a_killed_cluster_resumes_where_it_stopped(
    partner: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        batch = sarif_batch(partner, results(120, passed=(7, 101)))
        clock.shift(dt.timedelta(seconds=5))
        run_until_killed(batch, chunks=1, monkeypatch=monkeypatch)
        batch.refresh_from_db()
        assert batch.status == ReportBatch.Status.PROCESSING
        assert batch.processed == 50 and batch.created_count == 49
        assert Report.objects.filter(reporter=partner).count() == 49

        # Not before the stall period has passed: a slow chunk is not a dead worker.
        clock.shift(dt.timedelta(seconds=STALL - 1))
        assert sweep(django_capture_on_commit_callbacks) == 0
        clock.shift(dt.timedelta(seconds=2))
        assert sweep(django_capture_on_commit_callbacks) == 1

    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE
    assert (batch.processed, batch.total) == (120, 120)
    assert (batch.created_count, batch.already_submitted_count, batch.rejected_count) == (
        118,
        0,
        2,
    )
    assert [r["ref"] for r in batch.results] == [f"runs/0/results/{i}" for i in range(120)]
    assert [r["ref"] for r in batch.results if r["status"] == "rejected"] == [
        "runs/0/results/7",
        "runs/0/results/101",
    ]
    reports = Report.objects.filter(reporter=partner)
    assert reports.count() == 118
    assert len(set(reports.values_list("fingerprint", flat=True))) == 118
    assert sorted(r["report"] for r in batch.results if "report" in r) == sorted(
        reports.values_list("pk", flat=True)
    )
    assert batch.findings == [] and batch.resumed_count == 0
    # The submitter hears of the batch once, when it is done.
    completed = Notification.objects.filter(
        kind="report.batch.completed", recipient=partner, channel=Channel.IN_APP
    )
    assert completed.count() == 1


def test_the_lost_task_handed_out_again_after_the_resumption_stores_nothing(
    partner: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        batch = sarif_batch(partner, results(80))
        run_until_killed(batch, chunks=1, monkeypatch=monkeypatch)
        clock.shift(dt.timedelta(seconds=STALL + 1))
        assert sweep(django_capture_on_commit_callbacks) == 1
        # The broker gives the first task out again once its lease expires: it finds
        # the batch done and changes nothing.
        tasks.process_report_batch(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE and batch.created_count == 80
    assert len(batch.results) == 80
    assert Report.objects.filter(reporter=partner).count() == 80


def test_a_queued_batch_whose_task_never_ran_is_queued_again(
    partner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        batch = sarif_batch(partner, results(30))
        clock.shift(dt.timedelta(seconds=STALL + 1))
        assert sweep(django_capture_on_commit_callbacks) == 1

    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE
    assert batch.created_count == 30 and batch.processed == 30
    assert Report.objects.filter(reporter=partner).count() == 30


def test_batches_that_move_or_are_finished_are_left_alone(
    partner: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued_again: list[int] = []
    monkeypatch.setattr(batches, "_enqueue", queued_again.append)
    long_ago = timezone.now() - dt.timedelta(days=1)
    for status in (ReportBatch.Status.DONE, ReportBatch.Status.FAILED):
        ReportBatch.objects.create(
            submitted_by=partner, source="findings", total=3, status=status, updated_at=long_ago
        )
    ReportBatch.objects.create(
        submitted_by=partner,
        source="findings",
        total=3,
        status=ReportBatch.Status.PROCESSING,
        updated_at=timezone.now() - dt.timedelta(seconds=STALL - 30),
    )

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert queued_again == []


def test_a_started_batch_that_never_advances_is_failed_after_its_resumptions(
    partner: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued_again: list[int] = []
    monkeypatch.setattr(batches, "_enqueue", queued_again.append)  # each task dies at once
    with time_machine.travel(T0, tick=False) as clock:
        batch = sarif_batch(partner, results(20))
        run_until_killed(batch, chunks=0, monkeypatch=monkeypatch)
        for _ in range(3):
            clock.shift(dt.timedelta(seconds=STALL + 1))
            assert sweep(django_capture_on_commit_callbacks) == 1
        clock.shift(dt.timedelta(seconds=STALL + 1))
        assert sweep(django_capture_on_commit_callbacks) == 0

    batch.refresh_from_db()
    assert queued_again == [batch.pk] * 3
    assert batch.status == ReportBatch.Status.FAILED and batch.resumed_count == 3
    assert batch.finished_at == T0 + 4 * dt.timedelta(seconds=STALL + 1)
    assert not Report.objects.exists()
