# Reserved for a change in progress (format facts); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0009_speed")]

    operations = []
