# Reserved for a change in progress (open intake, onboarding); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_affected_rows")]

    operations = []
