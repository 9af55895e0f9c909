"""The access module, walked step by step on the model level."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404

from cases import access, services
from cases.models import Case, CaseState, TimelineEntry
from tests.access_drift import assert_no_access_drift


@pytest.mark.django_db
def test_coordinator_sees_every_case(case, coordinator):
    assert list(Case.objects.visible_to(coordinator)) == [case]


@pytest.mark.django_db
def test_maintainer_sees_own_projects_case_only(case, maintainer, other_maintainer):
    assert list(Case.objects.visible_to(maintainer)) == [case]
    assert list(Case.objects.visible_to(other_maintainer)) == []


@pytest.mark.django_db
def test_outsider_gets_404_like_a_missing_case(case, outsider):
    with pytest.raises(Http404):
        access.get_case_for(outsider, case.reference)
    with pytest.raises(Http404):
        access.get_case_for(outsider, "AKR-1999-0001")


@pytest.mark.django_db
def test_reporter_sees_case_but_cannot_manage_it(case, reporter):
    found, acc = access.get_case_for(reporter, case.reference)
    assert found == case and acc.is_reporter_only
    with pytest.raises(PermissionDenied):
        access.get_case_for(reporter, case.reference, "manage_case")


@pytest.mark.django_db
def test_removed_participant_loses_access_at_once(case, coordinator, maintainer, maintainer_org):
    participant = case.participants.get(organisation=maintainer_org)
    services.remove_participant(participant, coordinator)
    assert not Case.objects.visible_to(maintainer).exists()
    assert_no_access_drift()


@pytest.mark.django_db
def test_deactivated_user_loses_access_at_once(case, maintainer):
    maintainer.is_active = False
    maintainer.save()
    assert not Case.objects.visible_to(maintainer).exists()


@pytest.mark.django_db
def test_reporters_never_see_each_other(case, coordinator, reporter):
    from tests.factories import make_report, make_user

    second = make_user("reporter2")
    services.merge_report_into_case(make_report(second), case, coordinator)
    acc = access.access_for(reporter, case)
    names = {p.user.username for p in acc.participants() if p.user_id}
    assert "reporter2" not in names and "reporter1" in names


@pytest.mark.django_db
def test_transition_changes_state_and_writes_timeline(case, coordinator):
    case = case.transition("accept", coordinator)
    assert case.state == CaseState.ACCEPTED
    entry = case.timeline.latest("id")
    assert entry.action == "case.state.accept" and entry.actor == coordinator


@pytest.mark.django_db
def test_references_are_sequential_without_gaps(coordinator, project, maintainer_org):
    from tests.factories import make_case

    refs = [make_case(coordinator).reference for _ in range(3)]
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == list(range(numbers[0], numbers[0] + 3))


@pytest.mark.django_db
def test_timeline_rejects_update_and_delete_on_postgresql(case):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    entry = TimelineEntry.objects.filter(case=case).first()
    with pytest.raises(Exception), transaction.atomic():
        TimelineEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(Exception), transaction.atomic():
        TimelineEntry.objects.filter(pk=entry.pk).delete()
    assert TimelineEntry.objects.get(pk=entry.pk).action == entry.action
