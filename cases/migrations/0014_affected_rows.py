# Reserved for a change in progress (structured affected rows, fixed version once); filled with its operations when the models change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_audit_chain_key")]

    operations = []
