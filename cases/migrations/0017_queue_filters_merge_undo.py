# Reserved for a change in progress (work queue, saved filters, undo merge); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_vendor_status")]

    operations = []
