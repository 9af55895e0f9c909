# Reserved for a change in progress (vendor status reminders); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_intake_notifications")]

    operations = []
