"""The coordinator's day (issue 15, section 4): undoing a merge, merge confirmation,
the duplicate score explained, bulk actions on the case list, saved filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases import services, triage
from cases.models import (
    AuditEvent,
    Case,
    CaseState,
    Credit,
    Organisation,
    Participant,
    ParticipantRole,
    Report,
    ReportMerge,
    ReportStatus,
    SavedFilter,
    TransitionError,
)
from cases.services import bulk
from tests.factories import make_case, make_report, make_user

pytestmark = pytest.mark.django_db


def _rurl(report: Report, name: str) -> str:
    return reverse(name, args=[report.pk])


# --------------------------------------------------------------------------- undo merge


def test_undoing_a_merge_reverts_everything_the_merge_wrote(coordinator: Any, case: Case) -> None:
    second = make_user()
    report = make_report(second, title="Same flaw, other words")
    before = {
        "participants": set(case.participants.active().values_list("pk", flat=True)),
        "credits": set(
            Credit.objects.filter(vulnerability__case=case).values_list("pk", flat=True)
        ),
    }
    services.merge_report_into_case(report, case, coordinator)
    merge = ReportMerge.objects.get(report=report)
    assert merge.participant is not None and merge.participant.user == second
    assert merge.credit is not None and merge.credit.user == second

    services.undo_report_merge(report, coordinator)

    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and report.case is None
    assert set(case.participants.active().values_list("pk", flat=True)) == before["participants"]
    credits = set(Credit.objects.filter(vulnerability__case=case).values_list("pk", flat=True))
    assert credits == before["credits"]
    merge.refresh_from_db()
    assert merge.undone_by == coordinator and merge.undone_at is not None
    # Both steps stay in the case's history, and the undo is audited.
    actions = list(case.timeline.values_list("action", flat=True))
    assert actions.index("case.report.merged") < actions.index("case.report.merge_undone")
    assert AuditEvent.objects.filter(action="case.report.merge_undone").exists()
    # The reporter lost their access to the case with their participant row.
    assert not Case.objects.visible_to(second).filter(pk=case.pk).exists()


def test_undo_keeps_the_participant_when_the_reporter_has_another_report_in_the_case(
    coordinator: Any, case: Case
) -> None:
    second = make_user()
    first, other = make_report(second, title="One"), make_report(second, title="Two")
    services.merge_report_into_case(first, case, coordinator)
    # The reporter takes part already: the second merge adds no participant (it was an
    # "already a participant" error before).
    services.merge_report_into_case(other, case, coordinator)
    assert ReportMerge.objects.get(report=other).participant is None

    services.undo_report_merge(first, coordinator)

    assert case.participants.active().filter(user=second, role=ParticipantRole.REPORTER).exists()
    assert Case.objects.visible_to(second).filter(pk=case.pk).exists()


def test_a_merge_cannot_be_undone_twice_or_for_a_report_never_merged(
    coordinator: Any, case: Case
) -> None:
    report = make_report(make_user())
    with pytest.raises(TransitionError):
        services.undo_report_merge(report, coordinator)
    services.merge_report_into_case(report, case, coordinator)
    services.undo_report_merge(report, coordinator)
    with pytest.raises(TransitionError):
        services.undo_report_merge(report, coordinator)
    # Back in triage, it can be merged again (and undone again).
    services.merge_report_into_case(report, case, coordinator)
    assert ReportMerge.objects.filter(report=report).count() == 2


def test_a_merge_into_a_case_no_longer_open_cannot_be_undone(coordinator: Any, case: Case) -> None:
    report = make_report(make_user())
    services.merge_report_into_case(report, case, coordinator)
    services.transition_case(case, coordinator, "reject", reason="not a flaw")
    with pytest.raises(TransitionError, match="no longer be undone"):
        services.undo_report_merge(report, coordinator)
    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE


def test_only_the_sirt_undoes_a_merge(coordinator: Any, maintainer: Any, case: Case) -> None:
    report = make_report(make_user())
    services.merge_report_into_case(report, case, coordinator)
    with pytest.raises(PermissionDenied):
        services.undo_report_merge(report, maintainer)
    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE


def test_undo_from_the_report_page(client_for: Any, coordinator: Any, case: Case) -> None:
    report = make_report(make_user())
    services.merge_report_into_case(report, case, coordinator)
    client = client_for(coordinator)
    page = client.get(_rurl(report, "cases:report_detail")).content.decode()
    assert _rurl(report, "cases:report_unmerge") in page
    response = client.post(_rurl(report, "cases:report_unmerge"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


@pytest.mark.parametrize("persona, status", [("reporter", 403), ("maintainer", 404)])
def test_others_cannot_undo_a_merge(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case, persona: str, status: int
) -> None:
    author = make_user()
    report = make_report(author)
    services.merge_report_into_case(report, case, coordinator)
    user = author if persona == "reporter" else maintainer
    response = client_for(user).post(_rurl(report, "cases:report_unmerge"))
    assert response.status_code == status
    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE


# --------------------------------------------------------------------------- merge confirmation


def test_merge_asks_for_confirmation_and_shows_the_candidate_reasons(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    report = make_report(make_user(), title="Heap overflow in parser again")
    response = client_for(coordinator).post(
        _rurl(report, "cases:report_merge"), {"reference": case.reference}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="confirm" value="yes"' in body and "Cancel" in body
    assert "What the merge does" in body
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


def test_candidates_explain_their_score_in_plain_words(coordinator: Any, case: Case) -> None:
    report = make_report(make_user(), title=case.title)
    explained = triage.explained_candidates(report)
    best = next(c for c in explained if c.case is not None and c.case.pk == case.pk)
    texts = [r.text for r in best.reasons]
    assert any(t.startswith("Same package") for t in texts)
    assert "Exactly the same affected versions." in texts
    assert {r.effect for r in best.reasons} <= {triage.FOR, triage.AGAINST, triage.NEUTRAL}
    assert best.verdict


# --------------------------------------------------------------------------- bulk actions


@pytest.fixture
def three_cases(coordinator: Any, project: Any) -> list[Case]:
    return [make_case(coordinator, project=project) for _ in range(3)]


def test_bulk_add_organisation_goes_through_add_participant(
    coordinator: Any, three_cases: list[Case], partner_org: Organisation
) -> None:
    result = bulk.add_organisation(coordinator, three_cases, partner_org, "partner")
    assert result.message == "3 cases updated."
    for case in three_cases:
        assert case.participants.active().filter(organisation=partner_org).exists()
        assert case.timeline.filter(action="case.participant.added").exists()
    audit = AuditEvent.objects.filter(action="case.bulk.applied").get()
    assert audit.data["count"] == 3 and audit.data["bulk_action"] == "add_organisation"


def test_bulk_add_skips_cases_that_have_the_organisation_already(
    coordinator: Any, three_cases: list[Case], partner_org: Organisation
) -> None:
    services.add_participant(three_cases[0], coordinator, organisation=partner_org, role="partner")
    result = bulk.add_organisation(coordinator, three_cases, partner_org, "partner")
    assert result.updated == [c.reference for c in three_cases[1:]]
    assert result.unchanged == [three_cases[0].reference]
    assert "2 cases updated" in result.message


def test_bulk_add_with_a_role_the_organisation_does_not_take_changes_nothing(
    coordinator: Any, three_cases: list[Case], partner_org: Organisation
) -> None:
    with pytest.raises(bulk.BulkRefused, match="Nothing changed: AKR-"):
        bulk.add_organisation(coordinator, three_cases, partner_org, "maintainer")
    assert not Participant.objects.filter(organisation=partner_org).exists()
    assert not AuditEvent.objects.filter(action="case.bulk.applied").exists()


def test_bulk_move_state_is_all_or_nothing(coordinator: Any, three_cases: list[Case]) -> None:
    closed = three_cases[2]
    services.transition_case(closed, coordinator, "reject", reason="not a flaw")
    with pytest.raises(bulk.BulkRefused) as refused:
        bulk.move_state(coordinator, three_cases, "accept")
    assert str(refused.value).startswith(f"Nothing changed: {closed.reference} cannot move from")
    assert "rejected to accepted" in str(refused.value)
    states = set(
        Case.objects.filter(pk__in=[c.pk for c in three_cases]).values_list("state", flat=True)
    )
    assert states == {CaseState.NEW, CaseState.REJECTED}

    result = bulk.move_state(coordinator, three_cases[:2], "accept")
    assert result.message == "2 cases updated."
    for case in three_cases[:2]:
        case.refresh_from_db()
        assert case.state == CaseState.ACCEPTED
        assert case.timeline.filter(action="case.state.accept").exists()


def test_bulk_set_coordinator_replaces_the_coordinator(
    coordinator: Any, second_coordinator: Any, three_cases: list[Case]
) -> None:
    result = bulk.set_coordinator(coordinator, three_cases, second_coordinator)
    assert result.message == "3 cases updated."
    for case in three_cases:
        rows = case.participants.active().filter(role=ParticipantRole.COORDINATOR)
        assert [p.user for p in rows] == [second_coordinator]
    again = bulk.set_coordinator(coordinator, three_cases, second_coordinator)
    assert again.updated == [] and len(again.unchanged) == 3


def test_bulk_set_coordinator_refuses_someone_outside_the_sirt(
    coordinator: Any, maintainer: Any, three_cases: list[Case]
) -> None:
    with pytest.raises(bulk.BulkRefused, match="not a SIRT member"):
        bulk.set_coordinator(coordinator, three_cases, maintainer)


def test_bulk_actions_are_refused_to_non_coordinators(
    maintainer: Any, three_cases: list[Case], partner_org: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        bulk.add_organisation(maintainer, three_cases, partner_org, "partner")


def test_bulk_view_applies_and_reports_the_result(
    client_for: Any, coordinator: Any, three_cases: list[Case]
) -> None:
    response = client_for(coordinator).post(
        reverse("cases:case_bulk"),
        {
            "action": "move_state",
            "transition": "accept",
            "cases": [c.reference for c in three_cases],
            "state": "new",
        },
        follow=True,
    )
    assert "3 cases updated." in response.content.decode()
    assert response.redirect_chain[-1][0].endswith("?state=new")


def test_bulk_view_refusal_keeps_the_selection(
    client_for: Any, coordinator: Any, three_cases: list[Case]
) -> None:
    client = client_for(coordinator)
    reference = three_cases[0].reference
    response = client.post(
        reverse("cases:case_bulk"),
        {"action": "move_state", "transition": "close", "cases": [reference]},
    )
    assert response.status_code == 302
    assert f"selected={reference}" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert f"Nothing changed: {reference} cannot move from new to closed" in page
    assert f'value="{reference}" form="bulk-form" id="select-{reference}" ' in page
    assert "checked" in page.split(f'id="select-{reference}"')[1].split(">")[0]


@pytest.mark.parametrize("persona", ["maintainer", "reporter", "outsider"])
def test_bulk_view_does_not_exist_for_non_coordinators(
    client_for: Any, request: Any, three_cases: list[Case], persona: str
) -> None:
    user = request.getfixturevalue(persona)
    response = client_for(user).post(
        reverse("cases:case_bulk"),
        {"action": "move_state", "transition": "accept", "cases": [three_cases[0].reference]},
    )
    assert response.status_code == 404
    three_cases[0].refresh_from_db()
    assert three_cases[0].state == CaseState.NEW


def test_case_list_offers_bulk_actions_to_coordinators_only(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case
) -> None:
    url = reverse("cases:case_list")
    assert 'form="bulk-form"' in client_for(coordinator).get(url).content.decode()
    assert 'form="bulk-form"' not in client_for(maintainer).get(url).content.decode()


# --------------------------------------------------------------------------- saved filters


def test_save_apply_and_delete_a_filter(client_for: Any, maintainer: Any, case: Case) -> None:
    client = client_for(maintainer)
    response = client.post(
        reverse("cases:saved_filter_save"),
        {"name": "Open critical", "state": "open", "severity": "critical", "page": "3"},
    )
    saved = SavedFilter.objects.get(owner=maintainer)
    assert saved.query == "state=open&severity=critical"  # no page, fixed order
    assert response["Location"].endswith("?state=open&severity=critical")
    listing = client.get(reverse("cases:case_list")).content.decode()
    assert "Open critical" in listing
    applied = client.get(reverse("cases:saved_filter_apply", args=[saved.pk]))
    assert applied.status_code == 302 and applied["Location"].endswith("?" + saved.query)
    # The same name again replaces the filters.
    client.post(reverse("cases:saved_filter_save"), {"name": "Open critical", "state": "new"})
    assert SavedFilter.objects.get(owner=maintainer).query == "state=new"
    client.post(reverse("cases:saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.filter(owner=maintainer).exists()


def test_saving_without_a_name_or_filters_is_a_clear_error(
    client_for: Any, maintainer: Any
) -> None:
    client = client_for(maintainer)
    page = client.post(
        reverse("cases:saved_filter_save"), {"name": " ", "state": "open"}, follow=True
    ).content.decode()
    assert "The filters were not saved" in page
    page = client.post(
        reverse("cases:saved_filter_save"), {"name": "Nothing"}, follow=True
    ).content.decode()
    assert "Choose at least one filter" in page
    assert not SavedFilter.objects.exists()


def test_saved_filters_are_private_to_their_owner(
    client_for: Any, maintainer: Any, coordinator: Any
) -> None:
    saved = SavedFilter.objects.create(owner=maintainer, name="Mine", query="state=open")
    other = client_for(coordinator)
    assert other.get(reverse("cases:saved_filter_apply", args=[saved.pk])).status_code == 404
    assert other.post(reverse("cases:saved_filter_delete", args=[saved.pk])).status_code == 404
    assert "Mine" not in other.get(reverse("cases:case_list")).content.decode()
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_saved_filter_shows_only_cases_the_user_may_see(
    client_for: Any, coordinator: Any, outsider: Any, case: Case
) -> None:
    saved = SavedFilter.objects.create(owner=outsider, name="All open", query="state=open")
    client = client_for(outsider)
    response = client.get(reverse("cases:saved_filter_apply", args=[saved.pk]), follow=True)
    assert case.reference not in response.content.decode()
    assert response.context["page"].paginator.count == 0
