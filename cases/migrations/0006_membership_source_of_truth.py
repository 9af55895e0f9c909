"""Membership is the single source of truth for who belongs to an organisation.

Visibility and roles now read ``Membership`` directly (``cases.access``); the
organisation's auth group only holds its guardian grants. This migration:

- adds an index on ``Membership(user, organisation)``: the visibility query looks up
  a user's organisations on every request (an index-only scan, the user first);
- takes every user out of the organisations' groups (``org:*``), which nothing reads
  any more and which ``manage.py check_access`` would report as drift. Reversing puts
  each member back into their organisation's group.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models


def users_out_of_organisation_groups(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Organisation = apps.get_model("cases", "Organisation")
    User.groups.through.objects.using(schema_editor.connection.alias).filter(
        group_id__in=Organisation.objects.values("group_id")
    ).delete()


def members_back_into_organisation_groups(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Membership = apps.get_model("cases", "Membership")
    through = User.groups.through
    rows = Membership.objects.using(schema_editor.connection.alias).values_list(
        "user_id", "organisation__group_id"
    )
    through.objects.using(schema_editor.connection.alias).bulk_create(
        [through(user_id=user_id, group_id=group_id) for user_id, group_id in rows],
        ignore_conflicts=True,
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_bench_duplicate_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["user", "organisation"], name="membership_user_org"),
        ),
        migrations.RunPython(
            users_out_of_organisation_groups, members_back_into_organisation_groups
        ),
    ]
