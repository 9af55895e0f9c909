# Reserved for a change in progress (vendor status); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_intake_onboarding")]

    operations = []
