"""Publish every scheduled advisory whose embargo has lifted (safe to run any time)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from disclosure.advisories.publication import publish_due_advisories


class Command(BaseCommand):
    help = "Publish every scheduled advisory whose embargo has lifted. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        published = publish_due_advisories()
        self.stdout.write(
            f"{len(published)} advisor{'y' if len(published) == 1 else 'ies'} published."
        )
