"""Case list: only visible cases, filters, search, sorting, pagination, constant queries."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseState, Severity
from tests.cases.helpers import count_queries
from tests.factories import make_case

LIST = reverse("cases:case_list")


def refs(response):
    return [c.reference for c in response.context["page"].object_list]


@pytest.mark.django_db
def test_coordinator_lists_every_case(client_for, coordinator, case, other_project):
    other = make_case(coordinator, project=other_project, title="Fastparse flaw")
    response = client_for(coordinator).get(LIST)
    assert response.status_code == 200
    assert set(refs(response)) == {case.reference, other.reference}


@pytest.mark.django_db
def test_maintainer_lists_only_own_projects_cases(
    client_for, coordinator, maintainer, case, other_project, other_maintainer_org
):
    other = make_case(
        coordinator, project=other_project, maintainers=other_maintainer_org, title="Secret"
    )
    response = client_for(maintainer).get(LIST)
    assert refs(response) == [case.reference]
    body = response.content.decode()
    assert other.reference not in body and "Secret" not in body
    # the project filter offers only projects of visible cases
    assert [p.name for p in response.context["form"].fields["project"].queryset] == ["libexample"]


@pytest.mark.django_db
def test_outsider_gets_the_empty_state(client_for, outsider, case):
    response = client_for(outsider).get(LIST)
    assert response.status_code == 200
    assert refs(response) == []
    assert "There are no cases you can see yet." in response.content.decode()
    assert case.reference not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_is_redirected_to_sign_in(client):
    assert client.get(LIST).status_code == 302


@pytest.mark.django_db
def test_filter_by_state_and_open(client_for, coordinator, case, project):
    rejected = make_case(coordinator, project=project, title="Not a bug")
    rejected.transition("reject", coordinator, reason="works as designed")
    client = client_for(coordinator)
    assert refs(client.get(LIST, {"state": CaseState.REJECTED})) == [rejected.reference]
    assert refs(client.get(LIST, {"state": "open"})) == [case.reference]


@pytest.mark.django_db
def test_filter_by_severity_and_project(client_for, coordinator, case, other_project):
    low = make_case(
        coordinator,
        project=other_project,
        cvss_vector="CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
    )
    client = client_for(coordinator)
    assert refs(client.get(LIST, {"severity": Severity.CRITICAL})) == [case.reference]
    assert refs(client.get(LIST, {"severity": Severity.LOW})) == [low.reference]
    assert refs(client.get(LIST, {"project": other_project.pk})) == [low.reference]


@pytest.mark.django_db
def test_a_project_outside_my_cases_is_not_a_valid_filter(
    client_for, maintainer, case, other_project
):
    response = client_for(maintainer).get(LIST, {"project": other_project.pk})
    assert "project" in response.context["form"].errors
    assert refs(response) == [case.reference]  # the invalid filter is simply not applied


@pytest.mark.django_db
def test_full_text_search_finds_by_title_words_and_reference(client_for, coordinator, project):
    heap = make_case(coordinator, project=project, title="Heap overflow in the tokenizer")
    xss = make_case(coordinator, project=project, title="Stored XSS in comments")
    client = client_for(coordinator)
    assert refs(client.get(LIST, {"q": "tokenizer"})) == [heap.reference]
    assert refs(client.get(LIST, {"q": xss.reference})) == [xss.reference]
    response = client.get(LIST, {"q": "nothing-like-this"})
    assert refs(response) == []
    assert "No case matches these filters." in response.content.decode()


@pytest.mark.django_db
def test_search_never_finds_invisible_cases(client_for, coordinator, maintainer, other_project):
    make_case(coordinator, project=other_project, title="Invisible tokenizer flaw")
    response = client_for(maintainer).get(LIST, {"q": "tokenizer"})
    assert refs(response) == []
    assert response.context["page"].paginator.count == 0


@pytest.mark.django_db
def test_sorting_uses_an_allow_list(client_for, coordinator, case, project):
    second = make_case(coordinator, project=project, title="AAA first by title")
    client = client_for(coordinator)
    assert refs(client.get(LIST, {"sort": "title"}))[0] == second.reference
    assert refs(client.get(LIST, {"sort": "created"})) == [case.reference, second.reference]
    assert refs(client.get(LIST, {"sort": "-created"})) == [second.reference, case.reference]
    assert client.get(LIST, {"sort": "-severity"}).status_code == 200
    response = client.get(LIST, {"sort": "summary"})  # not allowed: ignored, with a field error
    assert response.status_code == 200
    assert "sort" in response.context["form"].errors


@pytest.mark.django_db
def test_pagination_has_25_per_page_and_links_keep_the_filters(client_for, coordinator, project):
    for i in range(27):
        make_case(coordinator, project=project, title=f"Parser flaw {i}")
    client = client_for(coordinator)
    response = client.get(LIST, {"state": "new", "q": "parser"})
    assert len(response.context["page"].object_list) == 25
    body = response.content.decode()
    assert "page=2" in body and "state=new" in body and "q=parser" in body
    second = client.get(LIST, {"state": "new", "q": "parser", "page": 2})
    assert len(second.context["page"].object_list) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["coordinator", "maintainer"])
def test_case_list_query_count_is_constant_from_1_to_50_rows(
    request, client_for, persona, coordinator, project, maintainer_org, case
):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    client.get(LIST)  # warm up the session
    one, _ = count_queries(client, LIST + "?page_size=ignored")
    for i in range(49):
        make_case(coordinator, project=project, maintainers=maintainer_org, title=f"Flaw {i}")
    assert Case.objects.visible_to(user).count() == 50
    many, response = count_queries(client, LIST + "?sort=-severity")
    assert len(response.context["page"].object_list) == 25
    assert many == one
