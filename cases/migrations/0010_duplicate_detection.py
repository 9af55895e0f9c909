"""Duplicate detection reads one search document per case (cases/duplicate_documents.py).

The table is in the model state; on PostgreSQL (a no-op on SQLite, where the demo runs,
like 0004 and 0005) this migration also writes:

- ``cases_search_document(case id)``: the case's title and summary, its vulnerabilities'
  titles and descriptions, and the title and text of the reports filed in it (the
  first 100 reports, each text cut at 4,000 characters so that a case with hundreds
  of merged reports stays far below the 1 MB limit of a tsvector), as one English
  full-text vector;
- ``cases_refresh_search_documents(ids)``: upserts the documents of those cases;
- triggers on cases_case, cases_report and cases_vulnerability that call it for the
  cases a statement touched (statement-level with transition tables for INSERT and
  DELETE, so a bulk load refreshes each case once; row-level for UPDATE, only when a
  column the document reads changed);
- a GIN index on the documents of open cases, for the search across packages;
- the documents of the cases that already exist.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION cases_search_document(bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
      SELECT to_tsvector('english', concat_ws(E'\\n',
        c.title,
        left(c.summary, 4000),
        (SELECT string_agg(concat_ws(E'\\n', v.title, left(v.description, 4000)), E'\\n'
                           ORDER BY v.id)
           FROM cases_vulnerability v WHERE v.case_id = c.id),
        (SELECT string_agg(concat_ws(E'\\n', r.title, left(r.description, 4000)), E'\\n'
                           ORDER BY r.id)
           FROM (SELECT r.id, r.title, r.description FROM cases_report r
                  WHERE r.case_id = c.id ORDER BY r.id LIMIT 100) r)))
      FROM cases_case c WHERE c.id = $1
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION cases_refresh_search_documents(bigint[]) RETURNS void
    LANGUAGE sql VOLATILE AS $$
      INSERT INTO cases_casesearchdocument (case_id, is_open, document)
      SELECT c.id, c.state IN ('new', 'accepted', 'in_progress', 'fix_ready', 'released'),
             cases_search_document(c.id)
        FROM cases_case c WHERE c.id = ANY($1)
      ON CONFLICT (case_id) DO UPDATE
        SET is_open = EXCLUDED.is_open, document = EXCLUDED.document
    $$
    """,
    # -- cases
    """
    CREATE OR REPLACE FUNCTION cases_search_cases_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM cases_refresh_search_documents(ARRAY(SELECT id FROM new_rows));
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION cases_search_case_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM cases_refresh_search_documents(ARRAY[NEW.id]);
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION cases_search_cases_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM cases_casesearchdocument WHERE case_id IN (SELECT id FROM old_rows);
      RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS cases_search_insert ON cases_case",
    """
    CREATE TRIGGER cases_search_insert AFTER INSERT ON cases_case
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      EXECUTE FUNCTION cases_search_cases_inserted()
    """,
    "DROP TRIGGER IF EXISTS cases_search_update ON cases_case",
    """
    CREATE TRIGGER cases_search_update AFTER UPDATE ON cases_case FOR EACH ROW
      WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.summary IS DISTINCT FROM NEW.summary
            OR OLD.state IS DISTINCT FROM NEW.state)
      EXECUTE FUNCTION cases_search_case_updated()
    """,
    "DROP TRIGGER IF EXISTS cases_search_delete ON cases_case",
    """
    CREATE TRIGGER cases_search_delete AFTER DELETE ON cases_case
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
      EXECUTE FUNCTION cases_search_cases_deleted()
    """,
    # -- reports and vulnerabilities: both have case_id, title and description
    """
    CREATE OR REPLACE FUNCTION cases_search_parts_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM cases_refresh_search_documents(
        ARRAY(SELECT DISTINCT case_id FROM new_rows WHERE case_id IS NOT NULL));
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION cases_search_part_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM cases_refresh_search_documents(ARRAY[OLD.case_id, NEW.case_id]);
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION cases_search_parts_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM cases_refresh_search_documents(
        ARRAY(SELECT DISTINCT case_id FROM old_rows WHERE case_id IS NOT NULL));
      RETURN NULL;
    END $$
    """,
]
for _table in ("cases_report", "cases_vulnerability"):
    FORWARD += [
        f"DROP TRIGGER IF EXISTS cases_search_insert ON {_table}",
        f"""
        CREATE TRIGGER cases_search_insert AFTER INSERT ON {_table}
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
          EXECUTE FUNCTION cases_search_parts_inserted()
        """,
        f"DROP TRIGGER IF EXISTS cases_search_update ON {_table}",
        f"""
        CREATE TRIGGER cases_search_update AFTER UPDATE ON {_table} FOR EACH ROW
          WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.title IS DISTINCT FROM NEW.title
                OR OLD.description IS DISTINCT FROM NEW.description)
          EXECUTE FUNCTION cases_search_part_updated()
        """,
        f"DROP TRIGGER IF EXISTS cases_search_delete ON {_table}",
        f"""
        CREATE TRIGGER cases_search_delete AFTER DELETE ON {_table}
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          EXECUTE FUNCTION cases_search_parts_deleted()
        """,
    ]
FORWARD += [
    "CREATE INDEX IF NOT EXISTS casesearchdocument_open_gin ON cases_casesearchdocument "
    "USING gin (document) WHERE is_open",
    "SELECT cases_refresh_search_documents(ARRAY(SELECT id FROM cases_case))",
]

BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS cases_search_{op} ON {table}"
        for table in ("cases_case", "cases_report", "cases_vulnerability")
        for op in ("insert", "update", "delete")
    ),
    "DROP INDEX IF EXISTS casesearchdocument_open_gin",
    "DROP FUNCTION IF EXISTS cases_search_cases_inserted()",
    "DROP FUNCTION IF EXISTS cases_search_case_updated()",
    "DROP FUNCTION IF EXISTS cases_search_cases_deleted()",
    "DROP FUNCTION IF EXISTS cases_search_parts_inserted()",
    "DROP FUNCTION IF EXISTS cases_search_part_updated()",
    "DROP FUNCTION IF EXISTS cases_search_parts_deleted()",
    "DROP FUNCTION IF EXISTS cases_refresh_search_documents(bigint[])",
    "DROP FUNCTION IF EXISTS cases_search_document(bigint)",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_participant_roles")]

    operations = [
        migrations.CreateModel(
            name="CaseSearchDocument",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("is_open", models.BooleanField(default=False)),
                ("document", django.contrib.postgres.search.SearchVectorField(null=True)),
            ],
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
