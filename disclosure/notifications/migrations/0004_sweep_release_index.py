"""An index for the deployment rule of the sweep on the release plans' table.

The rule asks "plans released between A and B": a partial index on ``released_at``
keeps that a range scan over what is due. PostgreSQL only (see 0002).
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS notif_releaseplan_released "
    "ON disclosure_releaseplan (released_at) WHERE released_at IS NOT NULL"
)
DROP = "DROP INDEX IF EXISTS notif_releaseplan_released"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_unread_count_index"),
        ("disclosure", "0002_embargo_release_calendar"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
