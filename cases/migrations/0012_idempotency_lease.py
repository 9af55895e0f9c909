# An in-progress Idempotency-Key marker is held under a short lease; the completed
# answer is written in the transaction of the write (cases/api_common.py).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_report_batch_resumption")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="lease",
            field=models.UUIDField(null=True),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="locked_until",
            field=models.DateTimeField(null=True),
        ),
    ]
