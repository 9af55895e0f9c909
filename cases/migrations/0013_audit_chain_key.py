# The audit chain is keyed (HMAC-SHA256, cases/audit.py): each row names the key that
# signed it. Existing rows are not recomputed under the key: they keep their plain
# SHA-256 and an empty key id, and the first keyed row signs the last of them. Rewriting
# them here would re-sign whatever they hold now, laundering any earlier tampering, and
# would need the key inside a migration. The database default lets the release before
# this one keep writing (unkeyed) rows during a rolling upgrade.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_idempotency_lease")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, db_default="", default="", max_length=32),
        ),
    ]
