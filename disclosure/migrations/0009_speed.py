# Speed (issue 14): the deployment deadlines walk released plans oldest first.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0008_fixed_version_once")]

    operations = [
        migrations.AlterField(
            model_name="releaseplan",
            name="released_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
    ]
