"""Load the demo data, layer by layer: the cases, then the disclosure features, then the
notifications. Idempotent (every ``seed()`` finds before it creates).

The command lives in the top layer because it builds every layer's data; each demo
module builds only its own app's, through that app's services (cases/README.md,
"Layers and the event stream"). It creates accounts with a published password, so it
refuses to run outside DEBUG unless forced.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import demo as cases_demo
from cases import demo_security
from disclosure import demo as disclosure_demo
from disclosure.advisories import demo as demo_advisories
from disclosure.notifications import demo as notifications_demo

# In this order: each builds on the data of the ones before.
DEMOS: tuple[ModuleType, ...] = (
    cases_demo,
    demo_security,
    disclosure_demo,
    demo_advisories,
    notifications_demo,
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
        for module in DEMOS:
            module.seed()
            self.stdout.write(f"Demo data from {module.__name__}: ready.")
