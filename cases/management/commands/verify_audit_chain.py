"""Check the audit trail's keyed chain and its anchors; exit 1 and name the first bad row."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.audit import Anchor, read_anchors, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every row's keyed hash and link, and that the heads "
        "anchored outside the database are still there (exits non-zero when tampered with)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor-file",
            default=settings.AUDIT_ANCHOR_FILE,
            help="JSON-lines file written by audit_checkpoint (default: AUDIT_ANCHOR_FILE).",
        )
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="JSON",
            help="An anchor line from the log or the anchor mail (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchors = [Anchor.from_json(text) for text in options["anchor"]]
            if options["anchor_file"]:
                anchors += read_anchors(options["anchor_file"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the audit anchors: {exc}") from None

        checked, broken = verify_chain(anchors)
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.event_id}: {broken.reason} "
                f"({checked} events before it are intact)."
            )
        self.stdout.write(f"Audit chain intact: {checked} events.")
        if anchors:
            latest = max(anchors, key=lambda a: a.head_id)
            self.stdout.write(
                f"Matches {len(anchors)} anchor(s); the latest, of {latest.at}, names row "
                f"{latest.head_id} ({checked - latest.count} events written since)."
            )
        else:
            self.stderr.write(
                "No anchor to compare with: deleting the newest rows would go unnoticed. "
                "Set AUDIT_ANCHOR_FILE, or pass --anchor with a line from the log or mail."
            )
