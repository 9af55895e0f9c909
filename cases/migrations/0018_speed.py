# Reserved for a change in progress (speed); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0017_queue_filters_merge_undo")]

    operations = []
