# Vendor status per vulnerability (issue 15 §3): cases.models.vendor_status.VendorStatus.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_intake_onboarding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VendorStatus",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("under_investigation", "Under investigation"),
                            ("affected", "Affected"),
                            ("not_affected", "Not affected"),
                            ("fixed", "Fixed"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "justification",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("component_not_present", "Component not present"),
                            ("vulnerable_code_not_present", "Vulnerable code not present"),
                            (
                                "vulnerable_code_cannot_be_controlled_by_adversary",
                                "Vulnerable code cannot be controlled by adversary",
                            ),
                            (
                                "vulnerable_code_not_in_execute_path",
                                "Vulnerable code not in execute path",
                            ),
                            (
                                "inline_mitigations_already_exist",
                                "Inline mitigations already exist",
                            ),
                        ],
                        help_text="Required for “not affected”, refused otherwise.",
                        max_length=60,
                    ),
                ),
                (
                    "statement",
                    models.TextField(
                        blank=True, help_text="Plain text, optional.", max_length=4000
                    ),
                ),
                (
                    "public",
                    models.BooleanField(
                        default=False,
                        help_text="The status, justification and statement may appear in the advisory.",
                        verbose_name="publish in the advisory",
                    ),
                ),
                (
                    "product",
                    models.CharField(
                        blank=True,
                        help_text="The organisation's product that ships the affected package (optional).",
                        max_length=200,
                    ),
                ),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("on_behalf", models.BooleanField(default=False)),
                ("note", models.TextField(blank=True, max_length=4000)),
                ("version", models.PositiveIntegerField(default=1)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vendor_statuses",
                        to="cases.organisation",
                    ),
                ),
                (
                    "set_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "vulnerability",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="vendor_statuses",
                        to="cases.vulnerability",
                    ),
                ),
            ],
            options={
                "verbose_name": "vendor status",
                "verbose_name_plural": "vendor statuses",
                "ordering": ["vulnerability_id", "organisation__name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("vulnerability", "organisation"), name="unique_vendor_status"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("status", "not_affected"),
                                models.Q(("justification", ""), _negated=True),
                            ),
                            models.Q(
                                models.Q(("status", "not_affected"), _negated=True),
                                ("justification", ""),
                            ),
                            _connector="OR",
                        ),
                        name="vendor_status_justification_iff_not_affected",
                    ),
                ],
            },
        ),
    ]
