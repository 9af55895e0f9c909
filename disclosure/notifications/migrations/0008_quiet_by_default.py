# Reserved for a change in progress (quiet by default); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_vendor_status_reminders")]

    operations = []
