"""Text copied from a report into a case is marked with the report it came from
(issue 10, section 4): ``Case.title_from_report`` and ``Vulnerability.title_from_report``,
cleared when a coordinator or maintainer reviews or rewrites the wording.

Existing copies are found by their text: a case or vulnerability whose title is exactly
the title of one of the case's reports is marked with the earliest such report (a
coordinator then reviews it once on the case page).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def mark_existing_copies(apps, schema_editor):  # noqa: ANN001, ANN201 - migration signature
    Case = apps.get_model("cases", "Case")
    Report = apps.get_model("cases", "Report")
    Vulnerability = apps.get_model("cases", "Vulnerability")

    def same_title(case_ref: str) -> Subquery:
        reports = Report.objects.filter(case=OuterRef(case_ref), title=OuterRef("title"))
        return Subquery(reports.order_by("received_at", "id").values("pk")[:1])

    Case.objects.update(title_from_report=same_title("pk"))
    Vulnerability.objects.update(title_from_report=same_title("case"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_membership_source_of_truth")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="title_from_report",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.report",
            ),
        ),
        migrations.AddField(
            model_name="vulnerability",
            name="title_from_report",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.report",
            ),
        ),
        migrations.RunPython(mark_existing_copies, migrations.RunPython.noop),
    ]
