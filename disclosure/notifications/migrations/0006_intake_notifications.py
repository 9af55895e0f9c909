# Reserved for a change in progress; filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_webhook_changes")]

    operations = []
