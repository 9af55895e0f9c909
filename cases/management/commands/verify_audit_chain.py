"""Check the audit trail's hash chain; exit 1 and name the first bad row if broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail (exits non-zero when it was tampered with)."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.event_id}: {broken.reason} "
                f"({checked} events before it are intact)."
            )
        self.stdout.write(f"Audit chain intact: {checked} events.")
