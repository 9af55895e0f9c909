"""Create or update the periodic django-q2 schedules (idempotent, by name).

``make run`` and every deployment call it; nothing is scheduled at import time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from disclosure.notifications import conf


def _next_daily(hour: int) -> dt.datetime:
    now = timezone.now()
    run = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return run if run > now else run + dt.timedelta(days=1)


def schedules() -> list[dict[str, Any]]:
    every = conf.get("NOTIFY_SWEEP_MINUTES")
    wanted = [
        {
            "name": "notifications.sweep",
            "func": "disclosure.notifications.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": every,
        },
        {
            "name": "notifications.send",
            "func": "disclosure.notifications.tasks.send_pending",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "notifications.digest",
            "func": "disclosure.notifications.tasks.send_digests",
            "schedule_type": Schedule.DAILY,
            "next_run": _next_daily(conf.get("NOTIFY_DIGEST_HOUR")),
        },
    ]
    # The disclosure app's periodic work, wrapped so task results stay counts.
    for task in ("publish_due_advisories", "lift_due_embargoes"):
        wanted.append(
            {
                "name": f"disclosure.{task}",
                "func": f"disclosure.notifications.tasks.{task}",
                "schedule_type": Schedule.MINUTES,
                "minutes": every,
            }
        )
    # Report batches whose task was lost (a killed cluster), queued again.
    wanted.append(
        {
            "name": "cases.resume_stalled_report_batches",
            "func": "cases.tasks.resume_stalled_report_batches",
            "schedule_type": Schedule.MINUTES,
            "minutes": every,
        }
    )
    # Reports sent without an account and never confirmed, and upload stashes, once
    # expired (cases/public_intake.py).
    wanted.append(
        {
            "name": "cases.purge_held_intake",
            "func": "cases.tasks.purge_held_intake",
            "schedule_type": Schedule.HOURLY,
        }
    )
    # The change rows behind the case page's cached fragments (cases/page_cache.py).
    wanted.append(
        {
            "name": "cases.prune_case_changes",
            "func": "cases.tasks.prune_case_changes",
            "schedule_type": Schedule.HOURLY,
        }
    )
    # The audit chain's signed head, written outside the database (cases/audit.py).
    wanted.append(
        {
            "name": "cases.audit_checkpoint",
            "func": "cases.tasks.audit_checkpoint",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.AUDIT_ANCHOR_MINUTES,
        }
    )
    return wanted


class Command(BaseCommand):
    help = "Create or update the periodic task schedules (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in schedules():
            name = spec.pop("name")
            existing = Schedule.objects.filter(name=name).first()
            # Keep the next run of an existing schedule: re-running the command
            # (every deployment) must not shift or fire it early.
            if existing is not None:
                spec.pop("next_run", None)
            _, created = Schedule.objects.update_or_create(
                name=name, defaults={"repeats": -1, **spec}
            )
            self.stdout.write(f"{'created' if created else 'updated'} {name}")
