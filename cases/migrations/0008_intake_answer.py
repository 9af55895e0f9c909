"""Batch intake, and one report per (reporter, fingerprint) enforced by the database.

Before the unique constraint is added, reports that already share a reporter and a
fingerprint (concurrent identical submissions used to store several rows) are kept,
all of them: the earliest keeps the fingerprint, each later one gets a fingerprint of
its own derived from its id, so a resubmission still answers with the first report.
"""

import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def separate_repeated_fingerprints(apps, schema_editor):
    Report = apps.get_model("cases", "Report")
    repeated = (
        Report.objects.exclude(fingerprint="")
        .values("reporter_id", "fingerprint")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for group in repeated.iterator():
        later = Report.objects.filter(
            reporter_id=group["reporter_id"], fingerprint=group["fingerprint"]
        ).order_by("received_at", "id")[1:]
        for pk in [r.pk for r in later]:
            own = hashlib.sha256(f"{group['fingerprint']}:{pk}".encode()).hexdigest()
            Report.objects.filter(pk=pk).update(fingerprint=own)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_field_visibility"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(separate_repeated_fingerprints, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("fingerprint", ""), _negated=True),
                fields=("reporter", "fingerprint"),
                name="unique_report_per_reporter_fingerprint",
            ),
        ),
        migrations.CreateModel(
            name="ReportBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[("findings", "List of findings"), ("sarif", "SARIF log")],
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("processing", "Processing"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=20,
                    ),
                ),
                ("findings", models.JSONField(blank=True, default=list)),
                ("results", models.JSONField(blank=True, default=list)),
                ("candidates", models.JSONField(blank=True, default=dict)),
                ("total", models.PositiveIntegerField(default=0)),
                ("processed", models.PositiveIntegerField(default=0)),
                ("created_count", models.PositiveIntegerField(default=0)),
                ("already_submitted_count", models.PositiveIntegerField(default=0)),
                ("rejected_count", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_batches",
                        to="cases.organisation",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_batches",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "report batches",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
