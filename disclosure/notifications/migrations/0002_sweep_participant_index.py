"""An index for the acknowledgement sweep on a table this app does not own.

The sweep asks "maintainers invited between A and B who have not acknowledged":
a partial index on ``invited_at`` over unacknowledged, active rows keeps that a
range scan over what is due. PostgreSQL only (the demo's SQLite has few rows).
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS notif_participant_unacked "
    "ON cases_participant (invited_at) "
    "WHERE acknowledged_at IS NULL AND removed_at IS NULL"
)
DROP = "DROP INDEX IF EXISTS notif_participant_unacked"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_outbox_preferences_webhooks"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
