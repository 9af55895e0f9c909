# The release gate (disclosure/README.md "Release gate"): publication overrides, and the
# agreement an embargo policy asks for before a proposed date is accepted.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0005_bench_pending_deadline_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="embargopolicy",
            name="agreement",
            field=models.CharField(
                choices=[
                    ("maintainers", "The case's maintainers"),
                    ("all_parties", "Maintainers, partners and downstream"),
                ],
                default="maintainers",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="embargoproposal",
            name="agreement_override",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="PublicationOverride",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("blockers", models.JSONField(blank=True, default=list)),
                ("decided_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="publication_overrides",
                        to="cases.case",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-decided_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("revoked_at__isnull", True)),
                        fields=("case",),
                        name="one_publication_override_in_force",
                    )
                ],
            },
        ),
    ]
