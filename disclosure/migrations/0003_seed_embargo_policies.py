"""Seed the embargo policies the field works by (see ../shared/DOMAIN.md).

Policies are data: coordinators can adjust numbers in the admin. Re-running is safe
(update_or_create on the code).
"""

import datetime as dt

from django.db import migrations

POLICIES = [
    {
        "code": "standard",
        "name": "Standard (90 days)",
        "description": "Report received + 90 days, at 12:00 UTC, moved off weekends. "
        "Extensions need a reason and a coordinator's approval.",
        "clock_start": "report",
        "default_days": 90,
        "max_days": None,
        "time_of_day": dt.time(12, 0),
        "skip_weekends": True,
        "position": 10,
    },
    {
        "code": "distros",
        "name": "linux-distros list",
        "description": "At most 14 days from the first post to the list (under 7 preferred).",
        "clock_start": "first_notification",
        "default_days": 14,
        "max_days": 14,
        "time_of_day": None,
        "skip_weekends": False,
        "position": 20,
    },
    {
        "code": "kernel",
        "name": "Linux kernel security team",
        "description": "7 days from the moment a fix exists, 14 at most.",
        "clock_start": "fix",
        "default_days": 7,
        "max_days": 14,
        "time_of_day": None,
        "skip_weekends": False,
        "position": 30,
    },
    {
        "code": "exploited",
        "name": "Exploited in the wild",
        "description": "7 days from knowledge of active exploitation (+3 days grace at most).",
        "clock_start": "exploitation",
        "default_days": 7,
        "max_days": 10,
        "time_of_day": None,
        "skip_weekends": False,
        "position": 40,
    },
    {
        "code": "custom",
        "name": "Custom date",
        "description": "A date agreed by hand; no default length and no maximum.",
        "clock_start": "agreement",
        "default_days": None,
        "max_days": None,
        "time_of_day": None,
        "skip_weekends": False,
        "position": 50,
    },
]


def seed(apps, schema_editor):
    EmbargoPolicy = apps.get_model("disclosure", "EmbargoPolicy")
    for policy in POLICIES:
        values = dict(policy)
        EmbargoPolicy.objects.update_or_create(code=values.pop("code"), defaults=values)


def unseed(apps, schema_editor):
    EmbargoPolicy = apps.get_model("disclosure", "EmbargoPolicy")
    EmbargoPolicy.objects.filter(
        code__in=[p["code"] for p in POLICIES], clocks__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0002_embargo_release_calendar")]

    operations = [migrations.RunPython(seed, unseed)]
