"""Delete expired unconfirmed public reports and upload stashes (also scheduled:
``setup_schedules`` runs ``cases.tasks.purge_held_intake`` hourly). Safe any time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases import public_intake


class Command(BaseCommand):
    help = "Purge expired reports sent without an account and expired upload stashes."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = public_intake.purge()
        self.stdout.write(
            f"purged {counts['unconfirmed']} unconfirmed report(s), {counts['held']} held "
            f"row(s), {counts['stashed_files']} kept file(s)"
        )
