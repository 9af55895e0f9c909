"""Indexes that keep duplicate detection fast at 100,000 cases (bench/README.md).

PostgreSQL only, a no-op on SQLite (the demo), like 0004:

- a GiST trigram index on the titles of *open* cases, partial on the states
  ``cases.duplicates`` searches. Without it the planner takes the state index and
  computes the similarity of every open case's title (52 ms at 10,000 cases, ~0.5 s
  at 100,000); with it, a bitmap scan of the few similar titles (4 ms at 10,000).
- a GIN index on ``Project.purls`` for the ``purls @> '["pkg:..."]'`` lookup.
"""

from django.db import migrations

OPEN_STATES = "('new', 'accepted', 'in_progress', 'fix_ready', 'released')"
FORWARD = [
    "CREATE INDEX IF NOT EXISTS case_open_title_trgm_gist ON cases_case "
    f"USING gist (title gist_trgm_ops) WHERE state IN {OPEN_STATES}",
    "CREATE INDEX IF NOT EXISTS project_purls_gin ON cases_project "
    "USING gin (purls jsonb_path_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS case_open_title_trgm_gist",
    "DROP INDEX IF EXISTS project_purls_gin",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_duplicate_search_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
