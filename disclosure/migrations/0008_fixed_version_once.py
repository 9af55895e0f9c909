"""The fixed version is entered once (disclosure/README.md, "Release data: entered once").

``ProjectRelease.fixed_version`` is dropped: a project's fixed versions are the fixed
versions of its affected packages on the case (``AffectedPackage.fixed_versions``). A
value recorded on the release plan moves to the case's affected packages of that
project (purls compared without version, qualifiers and subpath) whose fixed versions
are still empty; the affected packages' own values win. ``ReleasePlan`` gains a
maintainer's proposed target time.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from packageurl import PackageURL


def _package(purl: str) -> str:
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return ""
    return PackageURL(type=p.type, namespace=p.namespace, name=p.name).to_string()


def move_fixed_versions(apps, schema_editor):  # noqa: ANN001, ANN201 -- migration signature
    ProjectRelease = apps.get_model("disclosure", "ProjectRelease")
    AffectedPackage = apps.get_model("cases", "AffectedPackage")
    releases = (
        ProjectRelease.objects.exclude(fixed_version="")
        .select_related("plan", "project")
        .order_by("pk")
    )
    for release in releases.iterator():
        packages = {_package(p) for p in release.project.purls or []} - {""}
        rows = AffectedPackage.objects.filter(vulnerability__case_id=release.plan.case_id).order_by(
            "pk"
        )
        for row in rows:
            if _package(row.purl) in packages and not row.fixed_versions:
                row.fixed_versions = [release.fixed_version]
                row.save(update_fields=["fixed_versions"])


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0007_revisions_withdrawal"),
        ("cases", "0014_affected_rows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_fixed_versions, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="projectrelease",
            name="fixed_version",
        ),
        migrations.AddField(
            model_name="releaseplan",
            name="proposed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="releaseplan",
            name="proposed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="releaseplan",
            name="proposed_target_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
