# Open intake (held public reports, kept uploads) and onboarding (organisation contact
# details, onboarding invitations): issue 15, sections 1 and 2.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import cases.models.reports


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_affected_rows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="security_contact",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="security contact address"
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="website",
            field=models.URLField(blank=True),
        ),
        migrations.CreateModel(
            name="OnboardingInvitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("organisation_name", models.CharField(max_length=200)),
                (
                    "organisation_kind",
                    models.CharField(
                        choices=[
                            ("sirt", "SIRT"),
                            ("maintainer", "Maintainer team"),
                            ("partner", "Industry partner"),
                            ("downstream", "Downstream"),
                        ],
                        default="maintainer",
                        max_length=20,
                    ),
                ),
                ("website", models.URLField(blank=True)),
                ("project_name", models.CharField(blank=True, max_length=200)),
                ("project_purls", models.JSONField(blank=True, default=list)),
                ("project_repository_url", models.URLField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("accepted_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "invited_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="cases.organisation",
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="cases.report",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="PendingReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                ("title", models.CharField(max_length=300)),
                ("description", models.TextField()),
                ("purl", models.CharField(blank=True, max_length=500)),
                ("vers", models.CharField(blank=True, max_length=500)),
                ("cwe", models.CharField(blank=True, max_length=12)),
                ("cvss_vector", models.CharField(blank=True, max_length=200)),
                ("wants_credit", models.BooleanField(default=True)),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "report",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="cases.report",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="HeldUpload",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stash_key", models.CharField(blank=True, db_index=True, max_length=64)),
                (
                    "file",
                    models.FileField(
                        max_length=200, upload_to=cases.models.reports.held_upload_path
                    ),
                ),
                ("original_name", models.CharField(max_length=200)),
                ("content_type", models.CharField(max_length=100)),
                ("size", models.PositiveBigIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "pending_report",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="uploads",
                        to="cases.pendingreport",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
    ]
