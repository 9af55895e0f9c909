# Quiet by default (disclosure/notifications/README.md "Quiet by default"): each kind
# says which roles are mailed at once (kinds.py); everyone else gets the daily digest.
# A preference may now choose when its email goes out. Existing explicit preferences
# are kept: a saved "email" for a kind meant "at once" (or the digest, for users who
# had turned the daily digest on), and stays so.
from django.db import migrations, models


def keep_explicit_choices(apps, schema_editor):
    KindPreference = apps.get_model("notifications", "KindPreference")
    NotificationSettings = apps.get_model("notifications", "NotificationSettings")
    digest_users = NotificationSettings.objects.filter(daily_digest=True).values("user_id")
    KindPreference.objects.filter(email=True).exclude(user_id__in=digest_users).update(
        email_when="now"
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_vendor_status_reminders")]

    operations = [
        migrations.AddField(
            model_name="kindpreference",
            name="email_when",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "As suggested (at once when you must act, else the daily digest)"),
                    ("now", "At once"),
                    ("digest", "In the daily digest"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.RunPython(keep_explicit_choices, migrations.RunPython.noop),
    ]
