"""Every service that acts for a person checks that person's right itself.

Called directly, without the view's ``get_case_for`` in front, a service refuses a
user who may not do this (``PermissionDenied``) and changes nothing: not the rows, not
the timeline. A user who cannot even see the case is refused the same way (never a
404 from a service: it must not tell a caller whether the case exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import access, services
from cases.models import (
    Case,
    CaseState,
    CommentVisibility,
    Credit,
    Organisation,
    ParticipantRole,
    Report,
    ReportStatus,
)
from tests.factories import make_case, make_organisation, make_report, make_user

pytestmark = pytest.mark.django_db


def _timeline_length(case: Case) -> int:
    return case.timeline.count()


def _refused(call: Callable[[], Any], case: Case | None = None) -> None:
    """``call`` raises ``PermissionDenied`` and writes nothing on ``case``'s timeline."""
    before = _timeline_length(case) if case is not None else None
    with pytest.raises(PermissionDenied):
        call()
    if case is not None:
        assert _timeline_length(case) == before


# --------------------------------------------------------------------------- the case


def test_a_maintainer_cannot_move_the_case_along_its_life_cycle(case, maintainer):
    _refused(lambda: services.transition_case(case, maintainer, "accept"), case)
    case.refresh_from_db()
    assert case.state == CaseState.NEW


def test_an_outsider_is_refused_not_told_the_case_is_missing(case, outsider):
    _refused(lambda: services.transition_case(case, outsider, "accept"), case)


def test_a_coordinator_moves_the_case_and_the_timeline_says_so(case, coordinator):
    moved = services.transition_case(case, coordinator, "accept")

    assert moved.state == CaseState.ACCEPTED
    assert case.timeline.filter(action="case.state.accept").exists()


def test_a_maintainer_cannot_edit_the_case_details(case, maintainer):
    _refused(
        lambda: services.edit_case_details(
            case, maintainer, expected_version=case.version, title="Mine now", summary=""
        ),
        case,
    )
    case.refresh_from_db()
    assert case.title != "Mine now"


def test_a_maintainer_cannot_add_or_remove_projects(case, maintainer, project, other_project):
    _refused(lambda: services.add_project(case, maintainer, other_project), case)
    _refused(lambda: services.remove_project(case, maintainer, project), case)
    assert list(case.projects.all()) == [project]


def test_only_a_coordinator_reviews_the_case_titles_wording(case, maintainer):
    _refused(lambda: services.mark_wording_reviewed(case, maintainer), case)


# --------------------------------------------------------------------------- participants


def test_a_maintainer_cannot_add_a_participant(case, maintainer, partner_org):
    _refused(
        lambda: services.add_participant(
            case, maintainer, organisation=partner_org, role=ParticipantRole.PARTNER
        ),
        case,
    )
    assert not case.participants.filter(organisation=partner_org).exists()


def test_a_maintainer_cannot_remove_a_participant(case, maintainer, reporter):
    row = case.participants.get(user=reporter)
    _refused(lambda: services.remove_participant(row, maintainer), case)
    row.refresh_from_db()
    assert row.removed_at is None


def test_an_outsider_cannot_acknowledge_a_case(case, outsider):
    _refused(lambda: services.acknowledge(case, outsider), case)


def test_a_maintainer_cannot_merge_a_case_into_another(case, maintainer, coordinator, project):
    other = make_case(coordinator, project=project)
    _refused(lambda: services.mark_case_duplicate(case, other, maintainer), case)
    case.refresh_from_db()
    assert case.state == CaseState.NEW


# --------------------------------------------------------------------------- triage


@pytest.fixture
def new_report(db: Any) -> Report:
    return make_report(make_user("finder"))


@pytest.mark.parametrize("who", ["maintainer", "reporter", "outsider"])
def test_only_the_sirt_triages_reports(request, who, new_report, case):
    user = request.getfixturevalue(who)
    _refused(lambda: services.open_case_from_report(new_report, user))
    _refused(lambda: services.merge_report_into_case(new_report, case, user), case)
    _refused(lambda: services.reject_report(new_report, user, "Not a flaw."))
    new_report.refresh_from_db()
    assert new_report.status == ReportStatus.NEW


def test_a_report_on_behalf_of_an_organisation_needs_a_member(outsider, maintainer_org):
    with pytest.raises(PermissionDenied):
        services.submit_report(
            reporter=outsider, title="Flaw", description="Details", organisation=maintainer_org
        )
    assert not Report.objects.filter(reporter=outsider).exists()


def test_a_member_reports_on_behalf_of_their_organisation(maintainer, maintainer_org):
    report, created = services.submit_report(
        reporter=maintainer, title="Flaw", description="Details", organisation=maintainer_org
    )
    assert created and report.reporter_organisation == maintainer_org


# --------------------------------------------------------------------------- discussion


def test_an_outsider_cannot_comment(case, outsider):
    _refused(lambda: services.post_comment(case, outsider, "Hello"), case)


def test_a_maintainer_cannot_post_a_coordinator_note(case, maintainer):
    with pytest.raises(ValidationError):
        services.post_comment(
            case, maintainer, "Internal", visibility=CommentVisibility.COORDINATORS
        )
    assert not case.comments.exists()


def test_a_maintainer_cannot_address_an_organisation_of_someone_else(case, maintainer, partner_org):
    with pytest.raises(ValidationError):
        services.post_comment(
            case,
            maintainer,
            "For the partner",
            visibility=CommentVisibility.ORGANISATION,
            organisation=partner_org,
        )
    assert not case.comments.exists()


def test_a_coordinator_addresses_only_organisations_taking_part(case, coordinator, partner_org):
    with pytest.raises(ValidationError):
        services.post_comment(
            case,
            coordinator,
            "For an organisation outside the case",
            visibility=CommentVisibility.ORGANISATION,
            organisation=partner_org,
        )


def test_the_comment_form_offers_exactly_what_the_service_accepts(
    case, maintainer, coordinator, reporter
):
    from cases.forms import CommentForm

    for user in (maintainer, coordinator, reporter):
        case_access = access.access_for(user, case)
        form = CommentForm(case_access=case_access)
        offered = [value for value, _ in form.fields["visibility"].choices]
        assert offered == access.comment_visibility_choices(case_access)


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", b"plain text notes\n", content_type="text/plain")


def test_a_partner_cannot_upload_to_the_case(partner_case, partner):
    _refused(
        lambda: services.store_attachment(_upload(), uploaded_by=partner, case=partner_case),
        partner_case,
    )
    assert not partner_case.attachments.exists()


def test_only_its_reporter_sends_files_with_a_report(new_report, outsider):
    with pytest.raises(PermissionDenied):
        services.store_attachment(_upload(), uploaded_by=outsider, report=new_report)
    assert not new_report.attachments.exists()


# --------------------------------------------------------------------------- vulnerabilities


def test_a_reporter_cannot_add_a_vulnerability(case, reporter):
    _refused(lambda: services.save_vulnerability(case, reporter, title="Another one"), case)
    assert case.vulnerabilities.count() == 1


def test_a_partner_cannot_add_or_remove_credits(partner_case, partner):
    vulnerability = partner_case.vulnerabilities.get()
    _refused(
        lambda: services.add_credit(vulnerability, partner, name="Someone"),
        partner_case,
    )
    credit = Credit.objects.get(vulnerability=vulnerability)
    _refused(lambda: services.remove_credit(credit, partner), partner_case)
    assert Credit.objects.filter(pk=credit.pk).exists()


def test_only_the_credited_person_consents(case, maintainer, reporter):
    credit = Credit.objects.get(vulnerability__case=case, user=reporter)
    _refused(lambda: services.set_credit_consent(credit, maintainer, False), case)
    credit.refresh_from_db()
    assert credit.consented

    case_access = access.access_for(reporter, case)
    assert access.can_consent_to_credit(case_access, credit)
    assert not access.can_consent_to_credit(access.access_for(maintainer, case), credit)


# --------------------------------------------------------------------------- SIRT-only pages


@pytest.mark.parametrize(
    "name",
    ["audit_list", "accounts:invitation_list", "disclosure:metrics", "notifications:failures"],
)
def test_sirt_only_pages_do_not_exist_for_anyone_else(client_for, maintainer, coordinator, name):
    url = reverse(name)
    assert client_for(maintainer).get(url).status_code == 404
    assert client_for(coordinator).get(url).status_code == 200


def test_an_organisation_admin_is_not_sirt_for_the_sirt_pages(client_for, db):
    org = make_organisation(Organisation.Kind.PARTNER, name="Admins Inc")
    admin = make_user("orgadmin", organisation=org)
    org.add_member(admin, role="admin")
    assert client_for(admin).get(reverse("accounts:invitation_list")).status_code == 404
