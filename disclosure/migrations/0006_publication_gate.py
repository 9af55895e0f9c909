# Reserved for a change in progress (release gate); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0005_bench_pending_deadline_indexes")]

    operations = []
