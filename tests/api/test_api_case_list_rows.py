"""Case lists read as rows (``access.case_rows``): the same answer as the serializer and
the access module give case by case, for every persona, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import access, services
from cases.access import lists
from cases.models import Case, ParticipantRole
from cases.serializers import CaseSerializer
from tests.api.conftest import token_client
from tests.factories import make_case, make_project, make_report, make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "maintainer", "partner", "reporter", "second_reporter", "outsider"]


@pytest.fixture
def second_reporter(db: Any) -> Any:
    return make_user("reporter2")


@pytest.fixture
def cases(
    partner_case: Case,
    coordinator: Any,
    second_reporter: Any,
    maintainer_org: Any,
    partner_org: Any,
    project: Any,
) -> list[Case]:
    """Titles still in a reporter's wording, a second reporter merged in, two projects on
    one case, a case the maintainers see without the partner."""
    services.merge_report_into_case(make_report(second_reporter), partner_case, coordinator)
    partner_case.projects.add(make_project(maintainer_org, name="aardvark-lib"))
    other = make_case(coordinator, project=project, maintainers=maintainer_org)
    services.add_participant(
        other, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    Case.objects.filter(pk=other.pk).update(title_from_report=None)
    third = make_case(coordinator, project=project, maintainers=maintainer_org)
    return [partner_case, other, third]


def _expected(user: Any) -> list[dict[str, Any]]:
    """What the list answered before rows: the serializer, titles and roles as the
    access module decides them case by case."""
    visible = list(Case.objects.visible_to(user).prefetch_related("projects"))
    shown = access.with_shown_titles(user, visible)
    context = {"roles_by_case": access.roles_by_case(user, [c.pk for c in shown])}
    return list(CaseSerializer(shown, many=True, context=context).data)


@pytest.mark.parametrize("who", PERSONAS)
def test_the_api_case_list_answers_as_the_serializer_does_for_every_persona(
    request: pytest.FixtureRequest, cases: list[Case], who: str
) -> None:
    user = request.getfixturevalue(who)

    body = token_client(user).get("/api/v1/cases/").json()

    expected = sorted(_expected(user), key=lambda item: item["reference"])
    assert sorted(body["results"], key=lambda item: item["reference"]) == expected
    if who == "outsider":
        assert body["results"] == []


@pytest.mark.parametrize("who", PERSONAS)
def test_rows_without_arrays_in_sql_are_completed_the_same(
    request: pytest.FixtureRequest, cases: list[Case], who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path SQLite takes (the demo): two queries for the page instead of arrays."""
    user = request.getfixturevalue(who)
    visible = Case.objects.visible_to(user).order_by("pk")
    in_sql = access.complete_rows(user, list(access.case_rows(user, visible)))

    monkeypatch.setattr(lists, "_arrays_in_sql", lambda: False)
    completed = access.complete_rows(user, list(access.case_rows(user, visible)))

    assert completed == in_sql


def test_a_partner_reads_another_reporters_wording_as_under_review(
    cases: list[Case], partner: Any, reporter: Any
) -> None:
    by_ref = {
        i["reference"]: i for i in token_client(partner).get("/api/v1/cases/").json()["results"]
    }
    assert by_ref[cases[0].reference]["title"] == access.CASE_TITLE_UNDER_REVIEW
    assert by_ref[cases[1].reference]["title"] == cases[1].title
    assert by_ref[cases[0].reference]["my_roles"] == ["partner"]
    assert by_ref[cases[0].reference]["projects"] == [
        "aardvark-lib",
        cases[0].projects.get(name="libexample").slug,
    ]

    own = token_client(reporter).get("/api/v1/cases/").json()["results"]
    assert [i["title"] for i in own] == [cases[0].title]


@pytest.mark.parametrize("who", ["coordinator", "maintainer", "partner"])
def test_a_page_of_the_api_case_list_is_one_query_after_authentication(
    request: pytest.FixtureRequest, cases: list[Case], who: str
) -> None:
    """Token, SIRT check, the page (titles, projects and roles in it): nothing per case,
    nothing per page beyond the rows (no prefetch, no roles or titles query)."""
    user = request.getfixturevalue(who)
    client = token_client(user)
    client.get("/api/v1/cases/")
    with CaptureQueriesContext(connection) as page:
        response = client.get("/api/v1/cases/?page_size=2")
    assert response.status_code == 200
    case_queries = [q["sql"] for q in page if '"cases_case"' in q["sql"]]
    assert len(case_queries) == 1, case_queries
    with CaptureQueriesContext(connection) as filtered:
        assert client.get("/api/v1/cases/?state=new&state=accepted").status_code == 200
    assert len(filtered) == len(page)


def test_the_web_case_list_shows_rows_as_the_access_module_decides(
    client_for: Any, cases: list[Case], partner: Any, maintainer: Any
) -> None:
    page = client_for(partner).get("/cases/").content.decode()
    assert access.CASE_TITLE_UNDER_REVIEW in page
    assert cases[0].title not in page
    assert cases[2].reference not in page  # not a participant
    assert "aardvark-lib, libexample" in page

    page = client_for(maintainer).get("/cases/").content.decode()
    assert cases[0].title in page
    assert "3 cases" in page


def test_the_web_case_list_costs_the_same_queries_for_3_or_23_cases(
    client_for: Any, cases: list[Case], maintainer: Any, coordinator: Any, project: Any
) -> None:
    client = client_for(maintainer)
    client.get("/cases/")
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
    for _ in range(20):
        make_case(coordinator, project=project, maintainers=project.organisation)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/cases/").content.decode()
    assert "23 cases" in page
    assert len(many) == len(few)
    assert len([q for q in many if '"cases_case_projects"' in q["sql"]]) <= 2  # choices + rows
