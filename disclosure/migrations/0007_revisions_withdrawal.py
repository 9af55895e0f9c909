# Revisions and withdrawal of published advisories (AdvisoryChange, Advisory.withdrawn_at)
# and OSV ids of their own (OsvIdCounter, OsvIdentifier). disclosure/README.md,
# "Revisions and withdrawal" and "Identifiers".
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def register_published_osv_ids(apps, schema_editor):
    """Every OSV id already published (``AKR-<year>-<nnnn>-<k>``, the old scheme) keeps
    answering at its URL: record it as that vulnerability's id, unchanged for ever."""
    AdvisoryRevision = apps.get_model("disclosure", "AdvisoryRevision")
    OsvIdentifier = apps.get_model("disclosure", "OsvIdentifier")
    taken = set(OsvIdentifier.objects.values_list("osv_id", flat=True))
    seen = set(OsvIdentifier.objects.values_list("advisory_id", "vulnerability_id"))
    for revision in AdvisoryRevision.objects.order_by("published_at", "id").iterator():
        for vuln in (revision.content or {}).get("vulnerabilities", []):
            osv_id, pk = vuln.get("osv_id"), vuln.get("vulnerability_id")
            key = (revision.advisory_id, pk)
            if not osv_id or pk is None or osv_id in taken or key in seen:
                continue
            OsvIdentifier.objects.create(
                osv_id=osv_id,
                advisory_id=revision.advisory_id,
                vulnerability_id=pk,
                assigned_at=revision.published_at,
            )
            taken.add(osv_id)
            seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0006_publication_gate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OsvIdCounter",
            fields=[
                ("year", models.PositiveIntegerField(primary_key=True, serialize=False)),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.AddField(
            model_name="advisory",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="AdvisoryChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("revision", "Revision"),
                            ("withdrawal", "Withdrawal of the publication"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("in_review", "In review"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("sent_back", "Sent back"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="in_review",
                        max_length=20,
                    ),
                ),
                ("summary", models.TextField()),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("editor_ids", models.JSONField(blank=True, default=list)),
                ("approved_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("revision_number", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "advisory",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="changes",
                        to="disclosure.advisory",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reviewer",
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
                "ordering": ["requested_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state__in", ["in_review", "approved"])),
                        fields=("advisory",),
                        name="one_open_change_per_advisory",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="OsvIdentifier",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("osv_id", models.CharField(max_length=60, unique=True)),
                ("vulnerability_id", models.PositiveIntegerField()),
                ("assigned_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "advisory",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="osv_ids",
                        to="disclosure.advisory",
                    ),
                ),
            ],
            options={
                "verbose_name": "OSV identifier",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("advisory", "vulnerability_id"),
                        name="one_osv_id_per_vulnerability",
                    )
                ],
            },
        ),
        migrations.RunPython(register_published_osv_ids, migrations.RunPython.noop),
    ]
