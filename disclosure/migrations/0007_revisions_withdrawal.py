# Reserved for a change in progress (revisions, withdrawal, OSV ids); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0006_publication_gate")]

    operations = []
