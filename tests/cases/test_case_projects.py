"""Coordinators add projects to a case and remove them after triage, on the case page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services
from cases.models import Case

pytestmark = pytest.mark.django_db


def add_url(case: Case) -> str:
    return reverse("cases:case_project_add", args=[case.reference])


def remove_url(case: Case, project: Any) -> str:
    return reverse("cases:case_project_remove", args=[case.reference, project.pk])


def project_names(case: Case) -> list[str]:
    return sorted(case.projects.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("coordinator", 302),
        ("maintainer", 403),
        ("reporter", 403),
        ("partner", 404),
        ("other_maintainer", 404),
        ("outsider", 404),
    ],
)
def test_only_coordinators_add_a_project_to_a_case(
    request: Any, client_for: Any, case: Case, other_project: Any, persona: str, expected: int
) -> None:
    user = request.getfixturevalue(persona)
    response = client_for(user).post(add_url(case), {"project": other_project.name})
    assert response.status_code == expected
    assert case.projects.filter(pk=other_project.pk).exists() == (expected == 302)


def test_a_partner_in_the_case_may_not_add_a_project(
    client_for: Any, partner: Any, partner_case: Case, other_project: Any
) -> None:
    response = client_for(partner).post(add_url(partner_case), {"project": other_project.name})
    assert response.status_code == 403
    assert project_names(partner_case) == ["libexample"]


def test_anonymous_is_sent_to_sign_in_and_nothing_is_added(
    client: Any, case: Case, other_project: Any
) -> None:
    response = client.post(add_url(case), {"project": other_project.name})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert project_names(case) == ["libexample"]


def test_coordinator_adds_a_project_and_the_timeline_says_so(
    client_for: Any, coordinator: Any, case: Case, other_project: Any
) -> None:
    response = client_for(coordinator).post(add_url(case), {"project": other_project.name})

    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    assert project_names(case) == ["fastparse", "libexample"]
    entry = case.timeline.filter(action="case.project.added").latest("id")
    assert entry.actor == coordinator
    assert entry.data == {"project": "fastparse"}


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({}, "This field is required."),
        ({"project": "999999"}, "There is no project named"),
        ({"project": "not-a-project"}, "There is no project named"),
    ],
)
def test_a_missing_or_unknown_project_is_a_field_error_and_adds_nothing(
    client_for: Any, coordinator: Any, case: Case, data: dict, field_error: str
) -> None:
    entries = case.timeline.count()
    response = client_for(coordinator).post(add_url(case), data)

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert response.context["project_form"].errors["project"]
    assert project_names(case) == ["libexample"]
    assert case.timeline.count() == entries


def test_a_project_already_on_the_case_is_refused_with_a_field_error(
    client_for: Any, coordinator: Any, case: Case, project: Any
) -> None:
    entries = case.timeline.count()
    response = client_for(coordinator).post(add_url(case), {"project": project.name})

    assert response.status_code == 400
    assert "libexample is already a project of this case." in response.content.decode()
    assert case.timeline.count() == entries


def test_coordinator_removes_a_project_and_the_timeline_says_so(
    client_for: Any, coordinator: Any, case: Case, project: Any
) -> None:
    before = Case.objects.get(pk=case.pk).updated_at
    response = client_for(coordinator).post(remove_url(case, project))

    assert response.status_code == 302
    assert project_names(case) == []
    entry = case.timeline.get(action="case.project.removed")
    assert entry.actor == coordinator
    assert entry.data == {"project": "libexample"}
    assert Case.objects.get(pk=case.pk).updated_at > before


@pytest.mark.parametrize("persona", ["maintainer", "reporter"])
def test_participants_who_are_not_coordinators_cannot_remove_a_project(
    request: Any, client_for: Any, case: Case, project: Any, persona: str
) -> None:
    response = client_for(request.getfixturevalue(persona)).post(remove_url(case, project))
    assert response.status_code == 403
    assert project_names(case) == ["libexample"]


def test_removing_a_project_that_is_not_on_the_case_is_not_found(
    client_for: Any, coordinator: Any, case: Case, other_project: Any
) -> None:
    response = client_for(coordinator).post(remove_url(case, other_project))
    assert response.status_code == 404
    assert not case.timeline.filter(action="case.project.removed").exists()


def test_the_service_refuses_to_remove_a_project_the_case_does_not_have(
    coordinator: Any, case: Case, other_project: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.remove_project(case, coordinator, other_project)
    assert "project" in exc.value.message_dict
    assert not case.timeline.filter(action="case.project.removed").exists()


def test_get_is_not_allowed_on_the_project_actions(
    client_for: Any, coordinator: Any, case: Case, project: Any
) -> None:
    client = client_for(coordinator)
    assert client.get(add_url(case)).status_code == 405
    assert client.get(remove_url(case, project)).status_code == 405


def test_the_case_page_offers_the_project_forms_to_coordinators_only(
    client_for: Any, coordinator: Any, maintainer: Any, case: Case, other_project: Any
) -> None:
    page = client_for(coordinator).get(case.get_absolute_url()).content.decode()
    assert add_url(case) in page
    assert remove_url(case, case.projects.get()) in page
    assert 'name="project"' in page
    # The catalogue is not listed on the case page: it would grow with every project.
    assert "fastparse" not in page

    page = client_for(maintainer).get(case.get_absolute_url()).content.decode()
    assert add_url(case) not in page
    assert "fastparse" not in page
