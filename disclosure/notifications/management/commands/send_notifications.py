"""Run the deadline sweep and send what is due, once, without the cluster (demo, cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from disclosure.notifications import services, sweep


class Command(BaseCommand):
    help = "Run the deadline sweep, then send every due email and webhook."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--digest", action="store_true", help="Send the daily digests too.")

    def handle(self, *args: Any, **options: Any) -> None:
        handled = sweep.run()
        sent = services.send_all_pending()
        self.stdout.write(f"{handled} deadline(s) handled, {sent} message(s) processed")
        if options["digest"]:
            self.stdout.write(f"{services.send_digests()} digest(s) sent")
