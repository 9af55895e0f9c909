# Speed (issue 14): deadline windows indexed (vendor status reminders, invitations awaiting acknowledgement).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_speed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="participant",
            index=models.Index(
                condition=models.Q(("organisation__isnull", False), ("removed_at__isnull", True)),
                fields=["invited_at"],
                name="participant_vendor_invited",
            ),
        ),
        migrations.AddIndex(
            model_name="participant",
            index=models.Index(
                condition=models.Q(
                    ("acknowledged_at__isnull", True),
                    ("removed_at__isnull", True),
                    models.Q(("role", "coordinator"), _negated=True),
                ),
                fields=["invited_at"],
                name="participant_awaiting_ack",
            ),
        ),
        migrations.AddIndex(
            model_name="vulnerability",
            index=models.Index(fields=["created_at"], name="vulnerability_created"),
        ),
    ]
