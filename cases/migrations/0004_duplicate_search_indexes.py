"""Indexes for duplicate detection at intake (cases/duplicates.py).

PostgreSQL only (a no-op on SQLite, where the demo runs): the pg_trgm extension, GIN
trigram indexes on the titles of open reports and of cases, the package of open
reports, and affected packages by purl. Kept out of the model state on purpose: they
are expression/partial indexes that SQLite cannot build.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS report_open_title_trgm ON cases_report "
    "USING gin (title gin_trgm_ops) WHERE status = 'new'",
    "CREATE INDEX IF NOT EXISTS report_open_package ON cases_report "
    "(package, received_at DESC) WHERE status = 'new'",
    "CREATE INDEX IF NOT EXISTS case_title_trgm ON cases_case USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS affectedpackage_purl ON cases_affectedpackage (purl)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS report_open_title_trgm",
    "DROP INDEX IF EXISTS report_open_package",
    "DROP INDEX IF EXISTS case_title_trgm",
    "DROP INDEX IF EXISTS affectedpackage_purl",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_api_tokens_idempotency")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
