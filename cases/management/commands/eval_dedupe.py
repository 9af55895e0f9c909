"""Measure duplicate detection on a labelled set of real advisories (``make eval-dedupe``).

``python manage.py eval_dedupe [FOLDER]`` (default: ``$DEDUPE_SET`` or
``../shared/eval/dedupe``) creates a throwaway PostgreSQL database (the test database
of the configured one, e.g. ``test_akrites_eval``), migrates it, runs the protocol of
``cases/duplicates_eval.py`` in both directions, prints the figures and drops the
database. ``--fit`` also prints the calibration constants fitted on this set, in the
form ``cases/duplicates.py`` keeps them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from cases import duplicates_eval


class Command(BaseCommand):
    help = "Recall, false matches and calibration of duplicate detection on a labelled set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder",
            nargs="?",
            default=os.environ.get("DEDUPE_SET") or "../shared/eval/dedupe",
            help="A folder with pairs.jsonl and negatives.jsonl.",
        )
        parser.add_argument(
            "--direction",
            choices=[*duplicates_eval.DIRECTIONS, "both"],
            default="both",
            help="Which write-up of each pair is opened as the case (default: both, pooled).",
        )
        parser.add_argument(
            "--fit", action="store_true", help="Also print constants fitted on this set."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not (folder / "pairs.jsonl").is_file() or not (folder / "negatives.jsonl").is_file():
            raise CommandError(f"{folder} has no pairs.jsonl and negatives.jsonl.")
        if connection.vendor != "postgresql":
            raise CommandError("The evaluation measures the PostgreSQL detector: set DATABASE_URL.")
        data = duplicates_eval.load_set(folder)
        directions = (
            duplicates_eval.DIRECTIONS
            if options["direction"] == "both"
            else (options["direction"],)
        )
        started = time.perf_counter()
        old_config = setup_databases(
            verbosity=0, interactive=False, keepdb=False, serialized_aliases=()
        )
        try:
            self.stdout.write(
                f"Set {folder}: {len(data.pairs)} pairs, {len(data.others)} other "
                f"vulnerabilities, {len({a.package for a, _ in data.pairs})} packages; "
                f"database {connection.settings_dict['NAME']}.\n"
            )
            rows, seconds = [], []
            for direction in directions:
                scored, took = duplicates_eval.run_direction(data, direction)
                rows += scored
                seconds += took
        finally:
            teardown_databases(old_config, verbosity=0)
        duplicates_eval.report(rows, seconds, self.stdout.write)
        if options["fit"]:
            self.stdout.write("Constants fitted on this set:\n")
            self.stdout.write(duplicates_eval.fitted_constants(rows))
        self.stdout.write(f"\n({time.perf_counter() - started:.0f} s)")
