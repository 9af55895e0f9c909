"""The search document of each case that duplicate detection reads (``cases.duplicates``).

Imported at the end of ``cases.models`` so Django registers it with the cases app.

One row per case: everything the SIRT knows of it as one full-text vector (the case's
title and summary, its vulnerabilities' titles and descriptions, and the title and
text of every report filed in it), and whether the case is open. On PostgreSQL,
triggers written by migration 0010 keep it current on every insert, update and
delete of a case, report or vulnerability, so no Python code writes it and a bulk
load or a raw SQL fix cannot leave it stale. (``duplicates.rebuild_documents`` fills
it after a load that ran with triggers off, such as ``seed_scale``.) SQLite (the
demo) has no triggers: detection there reads the rows themselves.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class CaseSearchDocument(models.Model):
    # No database constraint: the row follows its case by trigger (deleted with it), and
    # a foreign key would make every test-database flush of cases_case fail.
    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    is_open = models.BooleanField(default=False)
    document = SearchVectorField(null=True)

    def __str__(self) -> str:
        return f"search document of case {self.case_id}"
