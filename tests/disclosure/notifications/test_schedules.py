"""Schedules are created idempotently by a command, never at import; queue settings checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from disclosure.notifications.checks import check_queue_settings

pytestmark = pytest.mark.django_db


def test_setup_schedules_creates_each_schedule_once_however_often_it_runs() -> None:
    assert not Schedule.objects.exists()  # nothing is scheduled at import time

    call_command("setup_schedules")
    first = {
        s.name: (s.func, s.schedule_type, s.minutes, s.next_run) for s in Schedule.objects.all()
    }
    call_command("setup_schedules")
    second = {
        s.name: (s.func, s.schedule_type, s.minutes, s.next_run) for s in Schedule.objects.all()
    }

    assert first == second
    assert first["notifications.sweep"][:3] == (
        "disclosure.notifications.tasks.sweep",
        Schedule.MINUTES,
        5,
    )
    assert first["notifications.send"][0] == "disclosure.notifications.tasks.send_pending"
    assert first["notifications.digest"][1] == Schedule.DAILY
    assert first["disclosure.publish_due_advisories"][0].endswith("publish_due_advisories")
    assert first["disclosure.lift_due_embargoes"][0].endswith("lift_due_embargoes")
    assert first["cases.resume_stalled_report_batches"][:3] == (
        "cases.tasks.resume_stalled_report_batches",
        Schedule.MINUTES,
        5,
    )


def test_the_sweep_interval_is_a_setting(settings: Any) -> None:
    settings.NOTIFY_SWEEP_MINUTES = 2

    call_command("setup_schedules")

    assert Schedule.objects.get(name="notifications.sweep").minutes == 2


def test_the_queue_settings_keep_a_task_from_running_twice(settings: Any) -> None:
    assert check_queue_settings() == []

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 600, "retry": 300}
    assert [e.id for e in check_queue_settings()] == ["notifications.E001", "notifications.E002"]


def test_scheduled_tasks_return_counts_not_case_data(case: Any) -> None:
    from disclosure.notifications import tasks

    assert isinstance(tasks.sweep(), int)
    assert isinstance(tasks.send_pending(), int)
    assert isinstance(tasks.send_digests(), int)
    assert isinstance(tasks.lift_due_embargoes(), int)
    assert isinstance(tasks.publish_due_advisories(), int)

    from cases.tasks import resume_stalled_report_batches

    assert isinstance(resume_stalled_report_batches(), int)
