# Reserved for a change in progress (speed); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0008_fixed_version_once")]

    operations = []
