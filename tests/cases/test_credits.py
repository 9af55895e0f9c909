"""Credits on vulnerabilities: maintainers and coordinators add and remove them; only
the credited person gives or withdraws consent to be named in advisories."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases import services
from cases.models import Case, Credit, Vulnerability

pytestmark = pytest.mark.django_db


@pytest.fixture
def vulnerability(case: Case) -> Vulnerability:
    return case.vulnerabilities.get()


@pytest.fixture
def reporter_credit(vulnerability: Vulnerability, reporter: Any) -> Credit:
    """Filed with the report (services.open_case_from_report), consented."""
    return vulnerability.credits.get(user=reporter)


def add_url(case: Case, vulnerability: Vulnerability) -> str:
    return reverse("cases:credit_add", args=[case.reference, vulnerability.pk])


def remove_url(case: Case, credit: Credit) -> str:
    return reverse("cases:credit_remove", args=[case.reference, credit.pk])


def consent_url(case: Case, credit: Credit) -> str:
    return reverse("cases:credit_consent", args=[case.reference, credit.pk])


GOOD = {"name": "Ada Finder", "kind": Credit.Kind.ANALYST}


# --------------------------------------------------------------------------- adding


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("coordinator", 302),
        ("maintainer", 302),
        ("reporter", 403),
        ("partner", 404),
        ("other_maintainer", 404),
        ("outsider", 404),
    ],
)
def test_maintainers_and_coordinators_add_credits_others_cannot(
    request: Any,
    client_for: Any,
    case: Case,
    vulnerability: Vulnerability,
    persona: str,
    expected: int,
) -> None:
    response = client_for(request.getfixturevalue(persona)).post(add_url(case, vulnerability), GOOD)
    assert response.status_code == expected
    assert vulnerability.credits.filter(name="Ada Finder").exists() == (expected == 302)


def test_a_partner_in_the_case_cannot_add_a_credit(
    client_for: Any, partner: Any, partner_case: Case, vulnerability: Vulnerability
) -> None:
    response = client_for(partner).post(add_url(partner_case, vulnerability), GOOD)
    assert response.status_code == 403
    assert not vulnerability.credits.filter(name="Ada Finder").exists()


def test_anonymous_is_sent_to_sign_in(
    client: Any, case: Case, vulnerability: Vulnerability
) -> None:
    response = client.post(add_url(case, vulnerability), GOOD)
    assert response["Location"].startswith(reverse("login"))
    assert not vulnerability.credits.filter(name="Ada Finder").exists()


def test_a_credit_with_an_account_waits_for_its_persons_consent(
    client_for: Any, maintainer: Any, partner: Any, partner_case: Case, vulnerability: Vulnerability
) -> None:
    response = client_for(maintainer).post(
        add_url(partner_case, vulnerability),
        {"name": "Pat Partner", "kind": Credit.Kind.REMEDIATION_REVIEWER, "user": partner.pk},
    )

    assert response.status_code == 302
    credit = vulnerability.credits.get(user=partner)
    assert (credit.name, credit.kind, credit.consented) == (
        "Pat Partner",
        Credit.Kind.REMEDIATION_REVIEWER,
        False,
    )
    entry = partner_case.timeline.get(action="case.credit.added")
    assert entry.actor == maintainer
    # Ids and the kind only: every participant reads the timeline.
    assert entry.data == {
        "vulnerability": vulnerability.pk,
        "credit": credit.pk,
        "kind": "remediation_reviewer",
        "consented": False,
    }


def test_a_credit_without_an_account_may_be_recorded_as_consented(
    coordinator: Any, case: Case, vulnerability: Vulnerability
) -> None:
    credit = services.add_credit(
        vulnerability, coordinator, name="Off-platform Olga", kind="finder", consented=True
    )
    assert credit.consented is True
    assert case.timeline.get(action="case.credit.added").data["consented"] is True


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "   ", "kind": "finder"}, "name", "This field is required."),
        ({"name": "Ada", "kind": "hero"}, "kind", "Select a valid choice."),
        ({"name": "Ada", "kind": "finder", "user": "999999"}, "user", "Select a valid choice."),
    ],
)
def test_bad_credit_input_is_a_field_error_and_saves_nothing(
    client_for: Any,
    maintainer: Any,
    case: Case,
    vulnerability: Vulnerability,
    data: dict,
    field: str,
    message: str,
) -> None:
    credits, entries = Credit.objects.count(), case.timeline.count()
    response = client_for(maintainer).post(add_url(case, vulnerability), data)

    assert response.status_code == 400
    assert any(message in error for error in response.context["credit_form"].errors[field])
    assert message in response.content.decode()
    assert (Credit.objects.count(), case.timeline.count()) == (credits, entries)


def test_only_people_in_the_case_can_be_credited_by_account(
    client_for: Any, maintainer: Any, outsider: Any, case: Case, vulnerability: Vulnerability
) -> None:
    response = client_for(maintainer).post(
        add_url(case, vulnerability), {"name": "Out Sider", "kind": "finder", "user": outsider.pk}
    )
    assert response.status_code == 400
    assert "user" in response.context["credit_form"].errors
    assert not vulnerability.credits.filter(user=outsider).exists()
    page = client_for(maintainer).get(case.get_absolute_url()).content.decode()
    assert "outsider" not in page


def test_nobody_consents_for_the_person_with_the_account(
    client_for: Any, maintainer: Any, reporter: Any, case: Case, vulnerability: Vulnerability
) -> None:
    response = client_for(maintainer).post(
        add_url(case, vulnerability),
        {"name": "R", "kind": "analyst", "user": reporter.pk, "consented": "on"},
    )
    assert response.status_code == 400
    assert response.context["credit_form"].errors["consented"]
    assert not vulnerability.credits.filter(kind="analyst").exists()


# --------------------------------------------------------------------------- removing


def test_maintainer_removes_a_credit_and_the_timeline_says_so(
    client_for: Any, maintainer: Any, case: Case, reporter_credit: Credit
) -> None:
    response = client_for(maintainer).post(remove_url(case, reporter_credit))

    assert response.status_code == 302
    assert not Credit.objects.filter(pk=reporter_credit.pk).exists()
    entry = case.timeline.get(action="case.credit.removed")
    assert entry.actor == maintainer
    assert entry.data == {
        "vulnerability": reporter_credit.vulnerability_id,
        "credit": reporter_credit.pk,
        "kind": "finder",
    }


@pytest.mark.parametrize(("persona", "expected"), [("reporter", 403), ("outsider", 404)])
def test_others_cannot_remove_a_credit(
    request: Any, client_for: Any, case: Case, reporter_credit: Credit, persona: str, expected: int
) -> None:
    response = client_for(request.getfixturevalue(persona)).post(remove_url(case, reporter_credit))
    assert response.status_code == expected
    assert Credit.objects.filter(pk=reporter_credit.pk).exists()


def test_a_credit_of_another_case_is_not_found(
    client_for: Any, coordinator: Any, case: Case, other_project: Any, reporter_credit: Credit
) -> None:
    from tests.factories import make_case

    other = make_case(coordinator, project=other_project)
    response = client_for(coordinator).post(remove_url(other, reporter_credit))
    assert response.status_code == 404
    assert Credit.objects.filter(pk=reporter_credit.pk).exists()


# --------------------------------------------------------------------------- consent


def test_the_reporter_withdraws_and_gives_consent_on_the_case_page(
    client_for: Any, reporter: Any, case: Case, reporter_credit: Credit
) -> None:
    client = client_for(reporter)
    page = client.get(case.get_absolute_url()).content.decode()
    assert consent_url(case, reporter_credit) in page
    assert "Do not name me" in page

    response = client.post(consent_url(case, reporter_credit), {"consent": "withdraw"})
    assert response.status_code == 302
    reporter_credit.refresh_from_db()
    assert reporter_credit.consented is False
    entry = case.timeline.get(action="case.credit.consent_withdrawn")
    assert entry.actor == reporter
    assert entry.data == {
        "vulnerability": reporter_credit.vulnerability_id,
        "credit": reporter_credit.pk,
        "consented": False,
    }
    assert "Name me in advisories" in client.get(case.get_absolute_url()).content.decode()

    response = client.post(consent_url(case, reporter_credit), {"consent": "give"})
    assert response.status_code == 302
    reporter_credit.refresh_from_db()
    assert reporter_credit.consented is True
    assert case.timeline.get(action="case.credit.consent_given").data["consented"] is True


def test_consent_unchanged_writes_no_timeline_entry(
    reporter: Any, case: Case, reporter_credit: Credit
) -> None:
    services.set_credit_consent(reporter_credit, reporter, True)
    assert not case.timeline.filter(action__startswith="case.credit.consent").exists()


@pytest.mark.parametrize(
    ("persona", "expected"), [("coordinator", 404), ("maintainer", 404), ("outsider", 404)]
)
def test_only_the_credited_person_toggles_consent(
    request: Any, client_for: Any, case: Case, reporter_credit: Credit, persona: str, expected: int
) -> None:
    response = client_for(request.getfixturevalue(persona)).post(
        consent_url(case, reporter_credit), {"consent": "withdraw"}
    )
    assert response.status_code == expected
    reporter_credit.refresh_from_db()
    assert reporter_credit.consented is True


def test_the_service_refuses_consent_from_anyone_but_the_credited_person(
    coordinator: Any, case: Case, reporter_credit: Credit
) -> None:
    with pytest.raises(PermissionDenied):
        services.set_credit_consent(reporter_credit, coordinator, False)
    reporter_credit.refresh_from_db()
    assert reporter_credit.consented is True


def test_an_empty_consent_choice_is_a_field_error(
    client_for: Any, reporter: Any, case: Case, reporter_credit: Credit
) -> None:
    response = client_for(reporter).post(consent_url(case, reporter_credit), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    reporter_credit.refresh_from_db()
    assert reporter_credit.consented is True


def test_other_participants_never_see_a_reporters_credit(
    client_for: Any, partner: Any, partner_case: Case, reporter_credit: Credit
) -> None:
    page = client_for(partner).get(partner_case.get_absolute_url()).content.decode()
    assert reporter_credit.name not in page
    assert consent_url(partner_case, reporter_credit) not in page


def test_only_consented_credits_reach_the_advisory_content(
    reporter: Any, case: Case, reporter_credit: Credit
) -> None:
    from disclosure.advisories.content import build_content
    from disclosure.models import Advisory

    def credited() -> list[str]:
        content = build_content(Advisory(case=case))
        return [c["name"] for v in content["vulnerabilities"] for c in v["credits"]]

    assert credited() == [reporter_credit.name]
    services.set_credit_consent(reporter_credit, reporter, False)
    assert credited() == []
