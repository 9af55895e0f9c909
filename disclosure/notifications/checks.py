"""System checks: the queue settings that keep a task from running twice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from disclosure.notifications import conf


@register()
def check_queue_settings(app_configs: Any = None, **kwargs: Any) -> list:
    problems: list = []
    q = getattr(settings, "Q_CLUSTER", {})
    timeout, retry = q.get("timeout"), q.get("retry")
    if timeout is None or retry is None or timeout >= retry:
        problems.append(
            Error(
                "Q_CLUSTER timeout must be set and below retry, or a slow task runs twice.",
                id="notifications.E001",
            )
        )
    if q.get("catch_up", True):
        problems.append(
            Warning(
                "Q_CLUSTER catch_up should be False: missed schedules must not pile up; "
                "the deadline sweep catches up from the database.",
                id="notifications.W001",
            )
        )
    if timeout is not None and conf.get("NOTIFY_LEASE_SECONDS") <= timeout:
        problems.append(
            Error(
                "NOTIFY_LEASE_SECONDS must exceed Q_CLUSTER timeout, or a row still being "
                "sent could be claimed by a second sender.",
                id="notifications.E002",
            )
        )
    return problems
