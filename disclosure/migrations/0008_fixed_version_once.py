# Reserved for a change in progress (fixed version once); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0007_revisions_withdrawal")]

    operations = []
