# Speed (issue 14): the change rows behind the case page's cached fragments (cases/page_cache.py).

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_format_facts"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("case_id", models.BigIntegerField()),
                ("at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                "indexes": [models.Index(fields=["case_id", "id"], name="case_change_case_id")],
            },
        ),
    ]
