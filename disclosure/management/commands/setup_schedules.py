"""Create the periodic django-q2 schedules (placeholder until notifications land)."""

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the periodic task schedules (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("no schedules yet")
