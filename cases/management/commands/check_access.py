"""Report drift between memberships, groups and guardian grants; ``--fix`` repairs it.

Exit status 0 when there is none (or all of it was repaired), 1 otherwise, so cron or
CI can alert on it. What counts as drift: ``cases/access_check.py``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import access_check

SHOWN = 50  # lines per run; the counts below them are complete


class Command(BaseCommand):
    help = (
        "Report drift between organisation memberships, groups and case grants "
        "(exit 1 when there is some); --fix repairs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Repair the drift (rewrites the grants)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        drift = access_check.find_drift()
        if not drift:
            self.stdout.write("No access drift: memberships, groups and grants agree.")
            return
        names = access_check.names_for(drift[:SHOWN])
        for item in drift[:SHOWN]:
            self.stdout.write(item.describe(names))
        if len(drift) > SHOWN:
            self.stdout.write(f"... and {len(drift) - SHOWN} more.")
        for kind, n in sorted(Counter(d.kind for d in drift).items()):
            self.stdout.write(f"{n:>8}  {access_check.KINDS[kind]}")
        if not options["fix"]:
            raise CommandError(
                f"{len(drift)} access drift item(s). Run check_access --fix to repair them.",
                returncode=1,
            )
        access_check.fix_drift(drift)
        left = access_check.find_drift()
        if left:
            raise CommandError(f"{len(left)} drift item(s) left after --fix.", returncode=1)
        self.stdout.write(f"Repaired {len(drift)} drift item(s); none left.")
