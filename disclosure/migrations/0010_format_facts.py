# Format facts (issue 13, section 4): workarounds that concern one vulnerability only.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0009_speed")]

    operations = [
        migrations.AddField(
            model_name="advisory",
            name="vulnerability_workarounds",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
