"""System checks: the queue settings that keep a task from running twice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from disclosure.notifications import conf
from disclosure.notifications.services import send_budget_seconds, worst_send_seconds


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
    if timeout is not None and send_budget_seconds() < worst_send_seconds():
        problems.append(
            Error(
                "The sender's budget (Q_CLUSTER timeout minus a margin, or "
                "NOTIFY_SEND_BUDGET_SECONDS) does not cover one message at its worst "
                "(WEBHOOK_TIMEOUT_SECONDS, EMAIL_TIMEOUT): nothing would be sent.",
                id="notifications.E003",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_webhook_targets(app_configs: Any = None, **kwargs: Any) -> list:
    """Private webhook targets are for a receiver on 127.0.0.1 in development only."""
    if conf.get("WEBHOOK_ALLOW_PRIVATE_TARGETS") and not settings.DEBUG:
        return [
            Warning(
                "WEBHOOK_ALLOW_PRIVATE_TARGETS is on: webhooks can reach loopback and "
                "internal addresses (SSRF). Leave it off in production.",
                id="notifications.W002",
            )
        ]
    return []
