"""Triage through the web: the SIRT queue, opening a case, merging a duplicate,
rejecting; reporters see only their own reports."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseState, Report, ReportStatus
from tests.factories import make_case, make_report, make_user

LIST = reverse("cases:report_list")


def rurl(report, name="cases:report_detail"):
    return reverse(name, args=[report.pk])


@pytest.fixture
def new_report(db):
    return make_report(make_user("finder"), title="Use after free in decoder")


@pytest.mark.django_db
def test_sirt_queue_shows_new_reports_by_default(client_for, coordinator, case, new_report):
    response = client_for(coordinator).get(LIST)
    assert response.status_code == 200
    assert [r.pk for r, _ in response.context["rows"]] == [new_report.pk]
    all_reports = client_for(coordinator).get(LIST, {"status": "all"})
    assert len(all_reports.context["rows"]) == 2


@pytest.mark.django_db
def test_empty_queue_has_an_empty_state(client_for, coordinator, case):
    response = client_for(coordinator).get(LIST)
    assert "Nothing is waiting for triage." in response.content.decode()


@pytest.mark.django_db
def test_reporter_lists_only_their_own_reports(client_for, reporter, case, new_report):
    response = client_for(reporter).get(LIST)
    rows = response.context["rows"]
    assert [r.reporter for r, _ in rows] == [reporter]
    assert rows[0][1] == case  # the case reference is shown: they can see the case
    assert "Use after free" not in response.content.decode()


@pytest.mark.django_db
def test_reports_of_others_are_404(client_for, reporter, maintainer, new_report):
    assert client_for(reporter).get(rurl(new_report)).status_code == 404
    assert client_for(maintainer).get(rurl(new_report)).status_code == 404


@pytest.mark.django_db
def test_reporter_sees_status_and_case_reference(client_for, reporter, case):
    report = Report.objects.get(reporter=reporter)
    body = client_for(reporter).get(rurl(report)).content.decode()
    assert "In a case" in body and case.reference in body
    assert "Open a case" not in body


@pytest.mark.django_db
def test_reporter_no_longer_sees_the_reference_once_removed(
    client_for, coordinator, reporter, case
):
    from cases import services

    services.remove_participant(case.participants.get(user=reporter), coordinator)
    report = Report.objects.get(reporter=reporter)
    body = client_for(reporter).get(rurl(report)).content.decode()
    assert case.reference not in body


@pytest.mark.django_db
def test_reporter_sees_the_rejection_reason(client_for, coordinator, new_report):
    from cases import services

    services.reject_report(new_report, coordinator, "Not reproducible")
    body = client_for(new_report.reporter).get(rurl(new_report)).content.decode()
    assert "Rejected" in body and "Not reproducible" in body


@pytest.mark.django_db
def test_sirt_triage_page_has_the_three_actions_and_candidates(client_for, coordinator, new_report):
    response = client_for(coordinator).get(rurl(new_report))
    body = response.content.decode()
    assert response.context["candidates"] == []
    for name in ("cases:report_open_case", "cases:report_merge", "cases:report_reject"):
        assert rurl(new_report, name) in body


@pytest.mark.django_db
def test_coordinator_opens_a_case_from_a_report(client_for, coordinator, project, new_report):
    response = client_for(coordinator).post(
        rurl(new_report, "cases:report_open_case"),
        {"title": "UAF in decoder", "summary": "Triage notes", "projects": [project.pk]},
    )
    case = Case.objects.get(title="UAF in decoder")
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.state == CaseState.NEW and list(case.projects.all()) == [project]
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.IN_CASE and new_report.case == case
    assert case.timeline.filter(action="case.opened", actor=coordinator).exists()


@pytest.mark.django_db
def test_open_case_without_title_is_a_field_error_and_saves_nothing(
    client_for, coordinator, new_report
):
    response = client_for(coordinator).post(
        rurl(new_report, "cases:report_open_case"), {"title": ""}
    )
    assert response.status_code == 400
    assert "title" in response.context["open_form"].errors
    assert not Case.objects.exists()
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW


@pytest.mark.django_db
def test_coordinator_merges_a_duplicate_into_an_open_case(
    client_for, coordinator, case, new_report
):
    client = client_for(coordinator)
    # First the confirmation page: nothing is merged yet.
    response = client.post(
        rurl(new_report, "cases:report_merge"), {"reference": case.reference.lower()}
    )
    assert response.status_code == 200
    assert "cases/report_merge_confirm.html" in [t.name for t in response.templates]
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW
    response = client.post(
        rurl(new_report, "cases:report_merge"),
        {"reference": case.reference.lower(), "confirm": "yes"},
    )
    assert response.status_code == 302
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.DUPLICATE and new_report.case == case
    assert case.timeline.filter(action="case.report.merged").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["", "AKR-1999-0001", "CLOSED"])
def test_merge_into_a_missing_or_closed_case_is_a_field_error(
    client_for, coordinator, project, new_report, reference
):
    closed = make_case(coordinator, project=project)
    closed.transition("reject", coordinator, reason="no")
    if reference == "CLOSED":
        reference = closed.reference
    response = client_for(coordinator).post(
        rurl(new_report, "cases:report_merge"), {"reference": reference}
    )
    assert response.status_code == 400
    assert "reference" in response.context["merge_form"].errors
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW


@pytest.mark.django_db
def test_coordinator_rejects_a_report_with_a_reason(client_for, coordinator, new_report):
    response = client_for(coordinator).post(
        rurl(new_report, "cases:report_reject"), {"reason": "Expected behaviour"}
    )
    assert response.status_code == 302
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.REJECTED
    assert new_report.rejection_reason == "Expected behaviour"


@pytest.mark.django_db
def test_reject_without_reason_is_a_field_error(client_for, coordinator, new_report):
    response = client_for(coordinator).post(
        rurl(new_report, "cases:report_reject"), {"reason": " "}
    )
    assert response.status_code == 400
    assert "reason" in response.context["reject_form"].errors
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW


@pytest.mark.django_db
def test_triaging_an_already_triaged_report_says_so(client_for, coordinator, case):
    report = case.reports.get()
    response = client_for(coordinator).post(
        rurl(report, "cases:report_reject"), {"reason": "late"}, follow=True
    )
    assert "already in a case" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["report_open_case", "report_merge", "report_reject"])
def test_reporter_cannot_triage_their_own_report(client_for, new_report, action):
    response = client_for(new_report.reporter).post(
        rurl(new_report, f"cases:{action}"), {"title": "x", "reason": "x", "reference": "x"}
    )
    assert response.status_code == 403
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW


@pytest.mark.django_db
def test_others_cannot_triage_a_report_they_cannot_see(client_for, maintainer, new_report):
    response = client_for(maintainer).post(rurl(new_report, "cases:report_reject"), {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_report_list_query_count_is_constant(client_for, coordinator, reporter):
    from tests.cases.helpers import count_queries

    make_report(reporter)
    client = client_for(coordinator)
    one, _ = count_queries(client, LIST + "?status=all")
    for _ in range(30):
        make_report(make_user())
    many, _ = count_queries(client, LIST + "?status=all")
    assert many == one


@pytest.mark.django_db
def test_reporter_list_starts_with_all_their_reports(client_for, coordinator, reporter, case):
    from cases import services

    rejected = make_report(reporter, title="Second one")
    services.reject_report(rejected, coordinator, "dup")
    response = client_for(reporter).get(LIST)
    assert response.context["status"] == "all"
    assert len(response.context["rows"]) == 2
