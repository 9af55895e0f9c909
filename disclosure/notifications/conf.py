"""Notification settings with their defaults (override any of them in settings.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The sweep
    "NOTIFY_SWEEP_MINUTES": 5,
    "NOTIFY_ACK_REMINDER_HOURS": 24,
    "NOTIFY_ACK_ESCALATION_HOURS": 48,
    "NOTIFY_EMBARGO_REMINDER_HOURS": [168, 48, 24],
    "NOTIFY_RELEASE_REMINDER_HOURS": [48, 24],
    "NOTIFY_DEPLOYMENT_REMINDER_HOURS": 168,
    "NOTIFY_ADVISORY_REVIEW_HOURS": 48,
    # A deadline counts as overdue (escalation) this long after it passed.
    "NOTIFY_OVERDUE_GRACE_MINUTES": 30,
    # How far back a late sweep still looks for deadlines it has not handled.
    "NOTIFY_CATCH_UP_DAYS": 7,
    # At most this many deadlines of one kind per sweep (the rest: next sweep).
    "NOTIFY_SWEEP_BATCH": 2000,
    # Sending
    "NOTIFY_SEND_BATCH": 50,
    # Seconds one sender task sends for; 0: Q_CLUSTER timeout minus a margin
    # (services.send_budget_seconds). It claims no more than that time covers.
    "NOTIFY_SEND_BUDGET_SECONDS": 0,
    "NOTIFY_MAX_ATTEMPTS": 5,
    "NOTIFY_RETRY_BASE_SECONDS": 60,
    "NOTIFY_RETRY_MAX_SECONDS": 6 * 3600,
    # A claimed row is retried by another sender after this (must exceed Q_CLUSTER timeout).
    "NOTIFY_LEASE_SECONDS": 300,
    "NOTIFY_DIGEST_HOUR": 7,
    # Enqueue a sender task when an event commits (lower latency than the schedule).
    "NOTIFY_KICK_SENDER": True,
    # Webhooks
    "WEBHOOK_TIMEOUT_SECONDS": 5,
    "WEBHOOK_DISABLE_AFTER": 10,
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def hours(name: str) -> dt.timedelta:
    return dt.timedelta(hours=get(name))
