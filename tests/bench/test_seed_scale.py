"""The scale data set is consistent with what the services would have written."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from bench.scale import BENCH_MAINTAINER_CASES, LARGE_CASE_TITLE
from cases import access
from cases.models import (
    Case,
    CaseCounter,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Organisation,
    Participant,
)
from tests.access_drift import assert_no_access_drift

pytestmark = pytest.mark.django_db(transaction=False)


def _grants() -> set[tuple]:
    return set(
        CaseGroupObjectPermission.objects.values_list(
            "content_object_id", "group_id", "permission_id"
        )
    ) | {
        ("user", *row)
        for row in CaseUserObjectPermission.objects.values_list(
            "content_object_id", "user_id", "permission_id"
        )
    }


@pytest.fixture
def scale() -> None:
    call_command("seed_scale", cases=300, no_vacuum=True, verbosity=0)


def test_seeded_grants_are_exactly_what_sync_grants_writes(scale: None) -> None:
    before = _grants()
    owners = Participant.objects.filter(case_id__in=Case.objects.order_by("?")[:60]).values_list(
        "case_id", "organisation_id", "user_id"
    )
    orgs = {o.pk: o for o in Organisation.objects.all()}
    users = {u.pk: u for u in get_user_model().objects.all()}
    for case_id, org_id, user_id in set(owners):
        case = Case.objects.get(pk=case_id)
        if org_id:
            access.sync_grants(case, organisation=orgs[org_id])
        else:
            access.sync_grants(case, user=users[user_id])

    assert _grants() == before


def test_check_access_finds_no_drift_in_the_scale_data_set(scale: None) -> None:
    assert_no_access_drift()


def test_the_bench_maintainer_sees_exactly_twenty_cases(scale: None) -> None:
    maintainer = get_user_model().objects.get(username="bench-maintainer")

    assert Case.objects.visible_to(maintainer).count() == BENCH_MAINTAINER_CASES


def test_the_outsider_sees_nothing_and_the_coordinator_everything(scale: None) -> None:
    User = get_user_model()

    assert Case.objects.visible_to(User.objects.get(username="bench-outsider")).count() == 0
    coordinator = User.objects.get(username="bench-coordinator")
    assert Case.objects.visible_to(coordinator).count() == Case.objects.count()


def test_the_very_large_case_has_two_hundred_organisations(scale: None) -> None:
    big = Case.objects.get(title=LARGE_CASE_TITLE)

    assert big.participants.active().filter(organisation__isnull=False).count() == 200
    assert big.comments.count() == 2000
    assert big.timeline.count() == 500


def test_new_cases_get_the_next_reference_after_the_seeded_ones(scale: None) -> None:
    year = Case.objects.latest("created_at").created_at.year
    taken = set(Case.objects.values_list("reference", flat=True))

    from django.db import transaction

    with transaction.atomic():
        reference = CaseCounter.next_reference(year)

    assert reference not in taken


def test_seed_scale_refuses_a_database_that_already_holds_cases(case: Case) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already holds cases"):
        call_command("seed_scale", cases=10, verbosity=0)


def test_the_deadline_sweep_finds_exactly_the_deadlines_the_data_set_leaves_due() -> None:
    from django.db import transaction

    from bench.scale import ScaleSeeder, Sizes
    from disclosure.notifications.sweep import sweep

    seeder = ScaleSeeder(Sizes.for_cases(1500))
    seeder.run(log=lambda *a: None)

    with transaction.atomic():
        handled = sweep()
        transaction.set_rollback(True)

    assert seeder.due_deadlines > 40
    assert handled == seeder.due_deadlines


def test_published_advisories_hold_what_build_content_would_have_frozen(scale: None) -> None:
    from disclosure.advisories.content import build_content
    from disclosure.models import Advisory

    advisory = (
        Advisory.objects.published()
        .exclude(case__title__startswith="Bench:")
        .filter(case__vulnerabilities__cve_id__gt="")
        .order_by("pk")
        .first()
    )

    frozen = advisory.current_revision.content
    assert frozen == build_content(advisory)
