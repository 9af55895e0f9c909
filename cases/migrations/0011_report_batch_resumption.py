"""Report batches record when they last moved, so that the stall sweep
(``cases.batches.resume_stalled_batches``) can queue again a batch whose task was lost.
Existing batches start their clock now: one already stuck is resumed a stall period later.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_duplicate_detection"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportbatch",
            name="resumed_count",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="reportbatch",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
