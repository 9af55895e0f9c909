# The release gate's escalation (disclosure/README.md "Release gate"): the new kinds
# (`escalation.publication_gated`, `release.gate_overridden`, `embargo.overridden`) are
# codes in `kinds.py`, and its once-a-day mark is an ordinary `DeadlineMark` row, so no
# schema change is needed; kept so the migration graph stays as reserved.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_quiet_by_default")]

    operations = []
