"""Load the demo data: cases first, then each disclosure feature's own demo module.

Idempotent (every ``seed()`` finds before it creates). It creates accounts with a
published password, so it refuses to run outside DEBUG unless forced.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

# Run in this order; a module that does not exist (yet) is skipped.
DEMO_MODULES = (
    "cases.demo",
    "cases.demo_security",
    "disclosure.demo",
    "disclosure.demo_advisories",
    "disclosure.notifications.demo",
)


class Command(BaseCommand):
    help = "Create the demo organisations, accounts and cases (idempotent; DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with the published demo password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with the published password 'demo-password'; "
                "it runs only with DEBUG=1 (or --force on a throw-away database)."
            )
        for name in DEMO_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                # Only a missing demo module is skipped; a broken import inside one is not.
                if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                    continue
                raise
            module.seed()
            self.stdout.write(f"Demo data from {name}: ready.")
