"""Partial indexes on the dates of what is still pending (bench/README.md).

The dashboard asks for the soonest pending deadlines ("ORDER BY public_at LIMIT 26"
among active embargoes; the same for unreleased release targets and unsent
pre-notifications). With the plain date indexes PostgreSQL walks them from the
oldest date and skips every lifted embargo or finished release on the way: 39 ms at
100,000 cases, growing with the history. Indexes on the pending rows only make it a
walk over what is pending. PostgreSQL only; a no-op on SQLite (the demo).
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS embargo_active_public_at "
    "ON disclosure_embargo (public_at) WHERE state = 'active'",
    "CREATE INDEX IF NOT EXISTS releaseplan_pending_target "
    "ON disclosure_releaseplan (target_at) WHERE released_at IS NULL",
    "CREATE INDEX IF NOT EXISTS prenotification_unsent_notify "
    "ON disclosure_prenotification (notify_at) WHERE sent_at IS NULL",
]
BACKWARD = [
    "DROP INDEX IF EXISTS embargo_active_public_at",
    "DROP INDEX IF EXISTS releaseplan_pending_target",
    "DROP INDEX IF EXISTS prenotification_unsent_notify",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0004_advisory_workflow")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
