"""Build the benchmark data set (bench/scale.py) in the configured PostgreSQL database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scale import ScaleSeeder, Sizes
from cases.models import Case


class Command(BaseCommand):
    help = "Load a realistic data set at scale with COPY (benchmarks only, never production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument(
            "--reports", type=int, default=None, help="default: twice the number of cases"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already holds cases",
        )
        parser.add_argument(
            "--no-vacuum", action="store_true", help="skip VACUUM ANALYZE after loading"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it loads with COPY).")
        if Case.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds cases; nothing to do.")
                return
            raise CommandError(
                "The database already holds cases. seed_scale loads into an empty, migrated "
                "database (e.g. createdb akrites_scale; manage.py migrate)."
            )
        sizes = Sizes.for_cases(options["cases"], options["reports"])
        self.stdout.write(f"Loading {sizes} ...")
        built = ScaleSeeder(sizes, seed=options["seed"]).run(log=self.stdout.write)
        for label, n in sorted(built.counts.items()):
            self.stdout.write(f"  {label:40} {n:>10,}")
        self.stdout.write(f"Loaded in {built.seconds:.1f}s.")
        if not options["no_vacuum"]:
            # Fresh statistics and a visibility map, as autovacuum would leave them:
            # without them the planner guesses and index-only scans read the heap.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            self.stdout.write("VACUUM ANALYZE done.")
