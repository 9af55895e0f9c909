"""Who sees what through the API: status per endpoint and persona, and no invisible
object in any list, count, filter or error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cases import services
from cases.models import Case, CommentVisibility, ParticipantRole
from tests.factories import make_case, make_report, make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "maintainer", "other_maintainer", "partner", "outsider", "reporter"]


@pytest.fixture
def secret_case(coordinator: Any, other_project: Any, other_maintainer_org: Any) -> Case:
    """A case of another project, invisible to everyone but its maintainers and the SIRT."""
    return make_case(
        coordinator,
        project=other_project,
        maintainers=other_maintainer_org,
        title="Secret zero-day in fastparse tokenizer",
        purl="pkg:npm/fastparse@2.0.0",
        vers="vers:npm/<2.1.0",
    )


def persona(request: pytest.FixtureRequest, name: str) -> Any:
    return request.getfixturevalue(name)


# case detail and its children: (persona, status) for the partner case
CASE_VISIBILITY = {
    "coordinator": 200,
    "maintainer": 200,
    "other_maintainer": 404,
    "partner": 200,
    "outsider": 404,
    "reporter": 200,
}


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("child", ["", "participants/", "vulnerabilities/", "comments/"])
def test_case_and_its_children_answer_per_persona(
    request: pytest.FixtureRequest, api_for: Any, partner_case: Case, name: str, child: str
) -> None:
    response = api_for(persona(request, name)).get(
        f"/api/v1/cases/{partner_case.reference}/{child}"
    )
    assert response.status_code == CASE_VISIBILITY[name]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/me/",
        "/api/v1/organisations/",
        "/api/v1/reports/",
        "/api/v1/cases/",
        "/api/v1/cases/AKR-2026-0001/",
        "/api/v1/cases/AKR-2026-0001/comments/",
    ],
)
def test_anonymous_calls_are_401_with_the_error_shape(
    api_for: Any, anonymous: Any, partner_case: Case, url: str
) -> None:
    response = api_for(anonymous).get(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_invisible_and_missing_cases_answer_the_same_404(
    api_for: Any, outsider: Any, secret_case: Case
) -> None:
    client = api_for(outsider)
    invisible = client.get(f"/api/v1/cases/{secret_case.reference}/")
    missing = client.get("/api/v1/cases/AKR-2099-9999/")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()
    assert secret_case.title not in invisible.content.decode()


@pytest.mark.parametrize("name", ["maintainer", "partner", "outsider", "reporter"])
def test_no_invisible_case_in_lists_counts_searches_or_filters(
    request: pytest.FixtureRequest, api_for: Any, partner_case: Case, secret_case: Case, name: str
) -> None:
    client = api_for(persona(request, name))
    for query in [
        "",
        "?search=fastparse",
        "?search=Secret",
        f"?search={secret_case.reference}",
        "?project=fastparse",
        "?state=new",
        "?severity=critical",
        "?ordering=-created_at",
    ]:
        response = client.get(f"/api/v1/cases/{query}")
        assert response.status_code == 200, query
        body = response.content.decode()
        assert secret_case.reference not in body and "Secret zero-day" not in body, query


def test_a_maintainer_sees_their_case_and_not_the_other_projects(
    api_for: Any, maintainer: Any, case: Case, secret_case: Case
) -> None:
    refs = [c["reference"] for c in api_for(maintainer).get("/api/v1/cases/").json()["results"]]
    assert refs == [case.reference]


def test_the_coordinator_sees_every_case(
    api_for: Any, coordinator: Any, case: Case, secret_case: Case
) -> None:
    refs = {c["reference"] for c in api_for(coordinator).get("/api/v1/cases/").json()["results"]}
    assert refs == {case.reference, secret_case.reference}


def test_case_filters_state_project_severity_and_updated_since(
    api_for: Any, coordinator: Any, case: Case, secret_case: Case
) -> None:
    client = api_for(coordinator)

    def refs(query: str) -> set[str]:
        response = client.get(f"/api/v1/cases/{query}")
        assert response.status_code == 200, response.json()
        return {c["reference"] for c in response.json()["results"]}

    assert refs("?project=fastparse") == {secret_case.reference}
    assert refs("?state=accepted") == set()
    assert refs("?state=new&state=accepted") == {case.reference, secret_case.reference}
    since = Case.objects.get(pk=secret_case.pk).updated_at.isoformat()
    assert refs(f"?updated_since={since.replace('+00:00', 'Z')}") == {secret_case.reference}
    assert client.get("/api/v1/cases/?state=bogus").status_code == 400
    assert client.get("/api/v1/cases/?updated_since=yesterday").status_code == 400


def test_reporters_never_see_each_other(
    api_for: Any, partner_case: Case, coordinator: Any, reporter: Any
) -> None:
    second = make_user("reporter2", first_name="Second", last_name="Reporter")
    services.merge_report_into_case(make_report(second), partner_case, coordinator)

    names = [
        p["name"]
        for p in api_for(reporter)
        .get(f"/api/v1/cases/{partner_case.reference}/participants/")
        .json()
    ]
    assert "reporter1" in names and "Second Reporter" not in names
    partner_view = api_for(second).get(f"/api/v1/cases/{partner_case.reference}/participants/")
    assert "reporter1" not in partner_view.content.decode()
    maintainer_names = [
        p["role"]
        for p in api_for(coordinator)
        .get(f"/api/v1/cases/{partner_case.reference}/participants/")
        .json()
    ]
    assert maintainer_names.count(ParticipantRole.REPORTER) == 2


def test_reports_list_shows_only_my_own(
    api_for: Any, partner: Any, outsider: Any, coordinator: Any
) -> None:
    mine = make_report(partner, title="Mine")
    theirs = make_report(outsider, title="Theirs")
    ids = [r["id"] for r in api_for(partner).get("/api/v1/reports/").json()["results"]]
    assert ids == [mine.pk]
    assert api_for(partner).get(f"/api/v1/reports/{theirs.pk}/").status_code == 404
    all_ids = {r["id"] for r in api_for(coordinator).get("/api/v1/reports/").json()["results"]}
    assert {mine.pk, theirs.pk} <= all_ids


def test_a_reporter_sees_the_case_of_their_report_only_while_they_may(
    api_for: Any, case: Case, reporter: Any, coordinator: Any
) -> None:
    report = case.reports.get()
    client = api_for(reporter)
    assert client.get(f"/api/v1/reports/{report.pk}/").json()["case"] == case.reference
    participant = case.participants.get(user=reporter)
    services.remove_participant(participant, coordinator)
    assert client.get(f"/api/v1/reports/{report.pk}/").json()["case"] is None


def test_comments_respect_visibility(
    api_for: Any,
    partner_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    maintainer_org: Any,
) -> None:
    services.post_comment(partner_case, coordinator, "Everybody reads this")
    services.post_comment(
        partner_case, coordinator, "SIRT note", visibility=CommentVisibility.COORDINATORS
    )
    services.post_comment(
        partner_case,
        coordinator,
        "For the maintainers",
        visibility=CommentVisibility.ORGANISATION,
        organisation=maintainer_org,
    )

    def bodies(user: Any) -> list[str]:
        response = api_for(user).get(f"/api/v1/cases/{partner_case.reference}/comments/")
        return [c["body"] for c in response.json()["results"]]

    assert bodies(coordinator) == ["Everybody reads this", "SIRT note", "For the maintainers"]
    assert bodies(maintainer) == ["Everybody reads this", "For the maintainers"]
    assert bodies(partner) == ["Everybody reads this"]


def test_posting_a_comment_calls_the_service_and_lands_in_the_timeline(
    api_for: Any, partner_case: Case, partner: Any
) -> None:
    response = api_for(partner).post(
        f"/api/v1/cases/{partner_case.reference}/comments/",
        {"body": "We deployed a mitigation."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["body_html"] == "<p>We deployed a mitigation.</p>"
    assert partner_case.timeline.filter(action="case.comment.posted").exists()


def test_a_partner_cannot_post_a_coordinator_only_note(
    api_for: Any, partner_case: Case, partner: Any
) -> None:
    response = api_for(partner).post(
        f"/api/v1/cases/{partner_case.reference}/comments/",
        {"body": "x", "visibility": "coordinators"},
        format="json",
    )
    assert response.status_code == 400
    assert "visibility" in response.json()["error"]["fields"]


def test_an_outsider_cannot_post_to_an_invisible_case(
    api_for: Any, secret_case: Case, outsider: Any
) -> None:
    response = api_for(outsider).post(
        f"/api/v1/cases/{secret_case.reference}/comments/", {"body": "hi"}, format="json"
    )
    assert response.status_code == 404
    assert not secret_case.comments.exists()


def test_maintainers_edit_vulnerabilities_and_partners_get_403(
    api_for: Any, partner_case: Case, maintainer: Any, partner: Any
) -> None:
    vuln = partner_case.vulnerabilities.get()
    url = f"/api/v1/cases/{partner_case.reference}/vulnerabilities/{vuln.pk}/"
    payload = {"title": "Heap overflow in header parser", "cwe": "122", "version": vuln.version}

    assert api_for(partner).patch(url, payload, format="json").status_code == 403
    response = api_for(maintainer).patch(url, payload, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["cwe"] == "CWE-122" and body["version"] == vuln.version + 1
    assert body["affected"][0]["purl"] == "pkg:pypi/libexample"  # kept, not wiped
    assert partner_case.timeline.filter(action="case.vulnerability.edited").exists()


def test_a_bad_identifier_is_a_field_error_not_a_stored_mess(
    api_for: Any, partner_case: Case, maintainer: Any
) -> None:
    vuln = partner_case.vulnerabilities.get()
    response = api_for(maintainer).patch(
        f"/api/v1/cases/{partner_case.reference}/vulnerabilities/{vuln.pk}/",
        {
            "cve_id": "CVE-12",
            "cvss3_vector": "CVSS:3.1/AV:X",
            "version": vuln.version,
            "affected": [{"purl": "not a purl", "vers": "vers:pypi/>=1.0|<1.4.2"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(json.loads(response.content)["error"]["fields"]) == {
        "cve_id",
        "cvss3_vector",
        "affected[0].purl",
    }
    vuln.refresh_from_db()
    assert vuln.cve_id == "" and vuln.version == 1


def test_me_lists_my_organisations(api_for: Any, partner: Any) -> None:
    body = api_for(partner).get("/api/v1/me/").json()
    assert body["username"] == "partner"
    assert [o["slug"] for o in body["organisations"]] == ["partner-corp"]
    orgs = api_for(partner).get("/api/v1/organisations/").json()
    assert [o["slug"] for o in orgs] == ["partner-corp"]
    assert api_for(partner).get("/api/v1/organisations/akrites-sirt/").status_code == 404
