# Structured affected rows need no schema change: AffectedPackage keeps (purl, vers,
# fixed_versions); the rows are validated by cases.services.clean_affected. Kept as the
# point disclosure 0008_fixed_version_once (which moves release-plan fixed versions onto
# these rows) depends on.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_audit_chain_key")]

    operations = []
