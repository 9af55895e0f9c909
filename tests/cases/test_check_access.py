"""``manage.py check_access`` and the ``check --deploy`` system check report every kind
of drift between memberships, groups and grants; ``--fix`` repairs it."""

from __future__ import annotations

import importlib
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases import access, access_check
from cases.checks import check_access_drift
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Organisation,
    Participant,
)
from tests.access_drift import assert_no_access_drift
from tests.factories import make_user
from tests.scenario import build_scenario, private_storage_settings

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_access", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def _grant(case: Case, codename: str, *, group: Group | None = None, user: Any = None) -> None:
    if group is not None:
        CaseGroupObjectPermission.objects.create(
            content_object=case, group=group, permission=access._perm(codename)
        )
    else:
        CaseUserObjectPermission.objects.create(
            content_object=case, user=user, permission=access._perm(codename)
        )


def test_no_drift_after_the_services_build_a_case(partner_case: Case) -> None:
    assert _run() == (0, "No access drift: memberships, groups and grants agree.\n")
    assert check_access_drift() == []


def _drift_of_every_kind(
    case: Case, maintainer: Any, maintainer_org: Organisation, partner_org: Organisation
) -> set[str]:
    # a user in an organisation's group
    maintainer.groups.add(maintainer_org.group)
    # a missing grant: the maintainers lose one of theirs
    CaseGroupObjectPermission.objects.filter(
        content_object=case, group=maintainer_org.group, permission__codename="propose_embargo"
    ).delete()
    # an extra grant: reporters may not see the advisory draft
    reporter = Participant.objects.get(case=case, role="reporter").user
    _grant(case, "view_advisory_draft", user=reporter)
    # a grant of an action no participation gives (Django's model permission)
    _grant(case, "change_case", group=maintainer_org.group)
    # a participant removed behind the services' back keeps its grants
    Participant.objects.filter(case=case, organisation=partner_org).update(
        removed_at=timezone.now()
    )
    # a group of no organisation holding a grant
    _grant(case, "view_case", group=Group.objects.create(name="leftover"))
    return {
        access_check.GROUP_MEMBER,
        access_check.MISSING,
        access_check.EXTRA,
        access_check.COORDINATOR_ONLY,
        access_check.REMOVED,
        access_check.ORPHAN,
    }


def test_no_drift_in_the_permission_tables_scenario(settings: Any, tmp_path: Any) -> None:
    private_storage_settings(settings, tmp_path)
    build_scenario()

    assert_no_access_drift()


def test_every_kind_of_drift_is_reported_and_fixed(
    partner_case: Case, maintainer: Any, maintainer_org: Organisation, partner_org: Organisation
) -> None:
    kinds = _drift_of_every_kind(partner_case, maintainer, maintainer_org, partner_org)

    assert {d.kind for d in access_check.find_drift()} == kinds
    status, output = _run()
    assert status == 1
    assert f"{partner_case.reference} organisation {maintainer_org.slug} propose_embargo" in output
    assert "change_case" in output
    assert f"user {maintainer.username}" in output
    assert "check_access --fix" in output

    status, output = _run("--fix")

    assert status == 0, output
    assert "none left" in output
    assert_no_access_drift()
    assert not maintainer.groups.exists()
    assert not access.access_for(
        partner_case.participants.get(role="reporter").user, partner_case
    ).can("view_advisory_draft")


def test_the_deploy_system_check_reports_drift(
    partner_case: Case, maintainer: Any, maintainer_org: Organisation
) -> None:
    maintainer.groups.add(maintainer_org.group)

    (error,) = check_access_drift()
    assert error.id == "cases.E001"
    assert "check_access" in error.hint
    deploy = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert "cases.E001" in {e.id for e in deploy}
    assert "cases.E001" not in {e.id for e in checks.run_checks(tags=[checks.Tags.security])}


def test_the_migration_takes_users_out_of_organisation_groups(
    maintainer: Any, maintainer_org: Organisation
) -> None:
    migration = importlib.import_module("cases.migrations.0006_membership_source_of_truth")
    own = Group.objects.create(name="editors")
    maintainer.groups.add(maintainer_org.group, own)

    with connection.schema_editor() as editor:
        migration.users_out_of_organisation_groups(apps, editor)
    assert list(maintainer.groups.all()) == [own]
    assert_no_access_drift()

    with connection.schema_editor() as editor:
        migration.members_back_into_organisation_groups(apps, editor)
    assert set(maintainer.groups.all()) == {own, maintainer_org.group}


def test_members_are_never_put_in_their_organisations_group(
    maintainer_org: Organisation,
) -> None:
    user = make_user(organisation=maintainer_org)
    maintainer_org.add_member(user, role="admin")

    assert not user.groups.exists()
    assert_no_access_drift()
