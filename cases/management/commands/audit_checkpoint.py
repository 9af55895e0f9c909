"""Anchor the audit chain's head outside the database (also scheduled: setup_schedules)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.audit import write_checkpoint


class Command(BaseCommand):
    help = (
        "Sign the audit chain's head (row id, hash, row count, time) and write it to the "
        "log, AUDIT_ANCHOR_FILE and AUDIT_ANCHOR_EMAIL; verify_audit_chain checks against it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(write_checkpoint().to_json())
