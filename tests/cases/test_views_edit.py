"""Coordinator and maintainer edits through the web: details, transitions, participants,
vulnerabilities. Bad input gives field errors and saves nothing; stale edits are refused."""

import pytest
from django.urls import reverse

from cases.models import (
    Case,
    CaseState,
    Participant,
    ParticipantRole,
    TimelineEntry,
    Vulnerability,
)


def url(case, name, *args):
    return reverse(name, args=[case.reference, *args])


# --------------------------------------------------------------------------- transitions


@pytest.mark.django_db
def test_coordinator_accepts_a_case_and_the_timeline_records_it(client_for, coordinator, case):
    response = client_for(coordinator).post(url(case, "cases:case_transition", "accept"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    entry = case.timeline.get(action="case.state.accept")
    assert entry.actor == coordinator and entry.data["from"] == "new"


@pytest.mark.django_db
def test_reject_without_a_reason_is_refused(client_for, coordinator, case):
    response = client_for(coordinator).post(
        url(case, "cases:case_transition", "reject"), {"reason": "  "}, follow=True
    )
    assert "Give a reason" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.NEW
    assert not case.timeline.filter(action="case.state.reject").exists()


@pytest.mark.django_db
def test_reject_with_a_reason_moves_the_case_and_keeps_the_reason(client_for, coordinator, case):
    client_for(coordinator).post(
        url(case, "cases:case_transition", "reject"), {"reason": "Out of scope"}
    )
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    assert case.timeline.get(action="case.state.reject").data["reason"] == "Out of scope"


@pytest.mark.django_db
def test_coordinator_reopens_a_rejected_case_and_the_timeline_records_it(
    client_for, coordinator, case
):
    case.transition("reject", coordinator, reason="Out of scope")
    client_for(coordinator).post(url(case, "cases:case_transition", "reopen"))
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    entry = case.timeline.get(action="case.state.reopen")
    assert (entry.data["from"], entry.data["to"]) == (CaseState.REJECTED, CaseState.ACCEPTED)


@pytest.mark.django_db
def test_a_transition_not_allowed_from_this_state_shows_an_error(client_for, coordinator, case):
    response = client_for(coordinator).post(
        url(case, "cases:case_transition", "release"), follow=True
    )
    assert "Cannot mark released" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
def test_unknown_transition_is_404(client_for, coordinator, case):
    response = client_for(coordinator).post(url(case, "cases:case_transition", "explode"))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,status", [("maintainer", 403), ("reporter", 403), ("outsider", 404)]
)
def test_only_coordinators_move_cases(request, client_for, case, persona, status):
    response = client_for(request.getfixturevalue(persona)).post(
        url(case, "cases:case_transition", "accept")
    )
    assert response.status_code == status
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
def test_transition_is_post_only(client_for, coordinator, case):
    assert (
        client_for(coordinator).get(url(case, "cases:case_transition", "accept")).status_code == 405
    )


# --------------------------------------------------------------------------- details


@pytest.mark.django_db
def test_coordinator_edits_the_details(client_for, coordinator, case):
    client = client_for(coordinator)
    form = client.get(url(case, "cases:case_edit")).context["form"]
    response = client.post(
        url(case, "cases:case_edit"),
        {"title": "New title", "summary": "New summary", "version": form.initial["version"]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "New title" and case.summary == "New summary"
    assert case.timeline.filter(action="case.details.edited").exists()


@pytest.mark.django_db
def test_stale_edit_is_refused_and_keeps_the_users_input(
    client_for, coordinator, second_coordinator, case
):
    opened_version = case.version
    case.update_details(
        second_coordinator, expected_version=opened_version, title="Theirs", summary=""
    )
    response = client_for(coordinator).post(
        url(case, "cases:case_edit"),
        {"title": "Mine", "summary": "My summary", "version": opened_version},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else since you opened it" in body
    assert 'value="Mine"' in body and "My summary" in body
    case.refresh_from_db()
    assert case.title == "Theirs"


@pytest.mark.django_db
def test_empty_title_is_a_field_error_and_saves_nothing(client_for, coordinator, case):
    before = case.title
    response = client_for(coordinator).post(
        url(case, "cases:case_edit"), {"title": "", "summary": "x", "version": case.version}
    )
    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    case.refresh_from_db()
    assert case.title == before


@pytest.mark.django_db
def test_maintainer_cannot_edit_case_details(client_for, maintainer, case):
    assert client_for(maintainer).get(url(case, "cases:case_edit")).status_code == 403


# --------------------------------------------------------------------------- participants


@pytest.mark.django_db
def test_coordinator_adds_a_partner_organisation(
    client_for, coordinator, partner, partner_org, case
):
    response = client_for(coordinator).post(
        url(case, "cases:participant_add"),
        {"organisation": partner_org.pk, "role": ParticipantRole.PARTNER},
    )
    assert response.status_code == 302
    assert case.participants.active().filter(organisation=partner_org, role="partner").exists()
    assert Case.objects.visible_to(partner).filter(pk=case.pk).exists()
    assert case.timeline.filter(action="case.participant.added", data__role="partner").exists()


@pytest.mark.django_db
def test_coordinator_adds_a_single_person(client_for, coordinator, outsider, case):
    client_for(coordinator).post(
        url(case, "cases:participant_add"), {"user": outsider.pk, "role": "downstream"}
    )
    assert Case.objects.visible_to(outsider).filter(pk=case.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,field",
    [
        ({"role": "partner"}, "organisation"),
        ({"organisation": "ORG", "user": "USER", "role": "partner"}, "user"),
        ({"organisation": "ORG", "role": "emperor"}, "role"),
        ({"organisation": "999999", "role": "partner"}, "organisation"),
        ({"organisation": "MAINT", "role": "maintainer"}, "organisation"),  # already one
    ],
)
def test_bad_participant_input_gives_field_errors_and_saves_nothing(
    client_for, coordinator, outsider, partner_org, maintainer_org, case, data, field
):
    values = {"ORG": partner_org.pk, "USER": outsider.pk, "MAINT": maintainer_org.pk}
    data = {k: values.get(v, v) for k, v in data.items()}
    before = Participant.objects.count()
    response = client_for(coordinator).post(url(case, "cases:participant_add"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Participant.objects.count() == before


@pytest.mark.django_db
def test_coordinator_removes_a_participant_and_access_ends(
    client_for, coordinator, maintainer, maintainer_org, case
):
    participant = case.participants.get(organisation=maintainer_org)
    response = client_for(coordinator).post(url(case, "cases:participant_remove", participant.pk))
    assert response.status_code == 302
    assert client_for(maintainer).get(case.get_absolute_url()).status_code == 404
    assert case.timeline.filter(action="case.participant.removed").exists()


@pytest.mark.django_db
def test_maintainer_cannot_add_or_remove_participants(
    client_for, maintainer, maintainer_org, partner_org, case
):
    client = client_for(maintainer)
    assert client.get(url(case, "cases:participant_add")).status_code == 403
    participant = case.participants.get(organisation=maintainer_org)
    assert client.post(url(case, "cases:participant_remove", participant.pk)).status_code == 403
    assert participant in Participant.objects.active()


# --------------------------------------------------------------------------- vulnerabilities


def affected_rows(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The affected-packages formset as the page posts it: (purl, vers, fixed) rows."""
    data = {
        "affected-TOTAL_FORMS": str(len(rows)),
        "affected-INITIAL_FORMS": "0",
        "affected-MIN_NUM_FORMS": "0",
        "affected-MAX_NUM_FORMS": "1000",
    }
    for i, (purl, vers, fixed) in enumerate(rows):
        data |= {
            f"affected-{i}-purl": purl,
            f"affected-{i}-vers": vers,
            f"affected-{i}-fixed": fixed,
        }
    return data


GOOD_VULN = {
    "title": "Integer overflow in length check",
    "description": "Details.",
    "cwe": "190",
    "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "cvss4_vector": "",
    "cve_id": "cve-2026-12345",
    **affected_rows(
        ("pkg:pypi/libexample", "vers:pypi/>=1.0|<1.3.9|>=1.4.0|<1.4.2", "1.4.2, 1.3.9"),
        ("pkg:npm/libexample-js", "vers:npm/<3.0.0", ""),
        ("", "", ""),  # an extra empty row, as the page offers: skipped
    ),
}


@pytest.mark.django_db
def test_maintainer_adds_a_vulnerability(client_for, maintainer, case):
    response = client_for(maintainer).post(url(case, "cases:vulnerability_add"), GOOD_VULN)
    assert response.status_code == 302
    vuln = case.vulnerabilities.get(title=GOOD_VULN["title"])
    assert vuln.cwe == "CWE-190" and vuln.cve_id == "CVE-2026-12345"
    assert float(vuln.cvss3_score) == 7.5
    affected = list(vuln.affected.values_list("purl", "vers", "fixed_versions"))
    assert affected == [
        ("pkg:pypi/libexample", "vers:pypi/>=1.0|<1.3.9|>=1.4.0|<1.4.2", ["1.4.2", "1.3.9"]),
        ("pkg:npm/libexample-js", "vers:npm/<3.0.0", []),
    ]
    assert case.timeline.filter(action="case.vulnerability.added").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [
        ("title", ""),
        ("cwe", "XSS"),
        ("cve_id", "CVE-26-1"),
        ("cvss3_vector", "CVSS:3.1/AV:N"),
        ("cvss3_vector", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
        ("cvss4_vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
    ],
)
def test_bad_vulnerability_input_gives_field_errors_and_saves_nothing(
    client_for, maintainer, case, field, value
):
    before = Vulnerability.objects.count()
    timeline_before = TimelineEntry.objects.count()
    response = client_for(maintainer).post(
        url(case, "cases:vulnerability_add"), {**GOOD_VULN, field: value}
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Vulnerability.objects.count() == before
    assert TimelineEntry.objects.count() == timeline_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row,field",
    [
        (("not-a-purl", "vers:pypi/<1", ""), "purl"),
        (("pkg:pypi/libexample", ">=1.0", ""), "vers"),
        (("pkg:pypi/libexample@1.0", "vers:pypi/<2", ""), "purl"),
    ],
)
def test_a_bad_affected_row_gives_an_error_on_its_field_and_saves_nothing(
    client_for, maintainer, case, row, field
):
    before = Vulnerability.objects.count()
    response = client_for(maintainer).post(
        url(case, "cases:vulnerability_add"),
        {**GOOD_VULN, **affected_rows(("pkg:pypi/ok", "vers:pypi/<2", ""), row)},
    )
    assert response.status_code == 400
    rows = response.context["rows"]
    assert not rows.forms[0].errors
    assert field in rows.forms[1].errors
    assert Vulnerability.objects.count() == before


@pytest.mark.django_db
def test_duplicate_cve_id_is_a_field_error(client_for, coordinator, maintainer, case):
    client = client_for(maintainer)
    client.post(url(case, "cases:vulnerability_add"), GOOD_VULN)
    response = client.post(url(case, "cases:vulnerability_add"), {**GOOD_VULN, "title": "Other"})
    assert response.status_code == 400
    assert "cve_id" in response.context["form"].errors
    assert case.vulnerabilities.filter(title="Other").count() == 0


@pytest.mark.django_db
def test_maintainer_edits_a_vulnerability_from_the_current_version(client_for, maintainer, case):
    vuln = case.vulnerabilities.get()
    client = client_for(maintainer)
    page = client.get(url(case, "cases:vulnerability_edit", vuln.pk)).context
    form = page["form"]
    assert page["rows"].forms[0].initial["purl"] == "pkg:pypi/libexample"
    response = client.post(
        url(case, "cases:vulnerability_edit", vuln.pk),
        {**GOOD_VULN, "version": form.initial["version"]},
    )
    assert response.status_code == 302
    vuln.refresh_from_db()
    assert vuln.title == GOOD_VULN["title"] and vuln.version == 2
    assert case.timeline.filter(action="case.vulnerability.edited").exists()


@pytest.mark.django_db
def test_stale_vulnerability_edit_is_refused(client_for, coordinator, maintainer, case):
    from cases import services

    vuln = case.vulnerabilities.get()
    opened = vuln.version
    services.save_vulnerability(
        case, coordinator, vulnerability=vuln, expected_version=opened, title="Theirs"
    )
    response = client_for(maintainer).post(
        url(case, "cases:vulnerability_edit", vuln.pk), {**GOOD_VULN, "version": opened}
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert GOOD_VULN["title"] in response.content.decode()  # the input is kept
    vuln.refresh_from_db()
    assert vuln.title == "Theirs"


@pytest.mark.django_db
def test_vulnerability_edit_without_version_is_refused(client_for, maintainer, case):
    vuln = case.vulnerabilities.get()
    response = client_for(maintainer).post(
        url(case, "cases:vulnerability_edit", vuln.pk), GOOD_VULN
    )
    assert response.status_code == 400
    vuln.refresh_from_db()
    assert vuln.title != GOOD_VULN["title"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,status", [("reporter", 403), ("partner", 403), ("other_maintainer", 404)]
)
def test_only_maintainers_and_coordinators_edit_vulnerabilities(
    request, client_for, partner_case, persona, status
):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url(partner_case, "cases:vulnerability_add")).status_code == status
    response = client.post(url(partner_case, "cases:vulnerability_add"), GOOD_VULN)
    assert response.status_code == status
    assert not Vulnerability.objects.filter(title=GOOD_VULN["title"]).exists()


@pytest.mark.django_db
def test_vulnerability_of_another_case_is_404(
    client_for, coordinator, maintainer, case, other_project
):
    from tests.factories import make_case

    other = make_case(coordinator, project=other_project)
    vuln = other.vulnerabilities.get()
    response = client_for(maintainer).get(url(case, "cases:vulnerability_edit", vuln.pk))
    assert response.status_code == 404


# --------------------------------------------------------------------------- duplicates


@pytest.mark.django_db
def test_coordinator_merges_a_case_into_another(client_for, coordinator, case, project):
    from tests.factories import make_case

    other = make_case(coordinator, project=project, title="The same flaw")
    response = client_for(coordinator).post(
        url(other, "cases:case_duplicate"), {"reference": case.reference}
    )
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    other.refresh_from_db()
    assert other.state == CaseState.DUPLICATE and other.duplicate_of == case
    assert other.timeline.filter(action="case.state.duplicate").exists()
    assert case.timeline.filter(action="case.duplicate.merged").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["", "SELF", "AKR-1999-0001"])
def test_bad_duplicate_target_is_a_field_error(client_for, coordinator, case, reference):
    reference = case.reference if reference == "SELF" else reference
    response = client_for(coordinator).post(
        url(case, "cases:case_duplicate"), {"reference": reference}
    )
    assert response.status_code == 400
    assert "reference" in response.context["duplicate_form"].errors
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
def test_maintainer_cannot_merge_cases(client_for, maintainer, case):
    response = client_for(maintainer).post(url(case, "cases:case_duplicate"), {"reference": "x"})
    assert response.status_code == 403
