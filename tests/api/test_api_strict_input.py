"""Input the API used to accept and silently ignore or coerce is a 400 with field errors:
an empty ``updated_since=``, a ``page_size`` that is not a positive whole number, and
text fields sent as numbers (schemathesis found all three)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cases.models import Case
from disclosure import services
from disclosure.models import EmbargoPolicy, ProposalResponse
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

SYNCED_LISTS = ["/api/v1/cases/", "/api/v1/reports/", "/api/v1/notifications/"]


def fields_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["code"] == "invalid"
    return body["error"]["fields"]


@pytest.mark.parametrize("url", SYNCED_LISTS)
def test_an_empty_updated_since_is_a_field_error_not_everything(url: str, partner: Any) -> None:
    client = token_client(partner)

    assert "updated_since" in fields_of(client.get(url, {"updated_since": ""}))
    assert "updated_since" in fields_of(client.get(url, {"updated_since": "  "}))
    assert client.get(url, {"updated_since": "2026-11-25T12:00:00Z"}).status_code == 200
    assert client.get(url).status_code == 200


def test_an_empty_updated_since_on_the_public_advisories_is_a_field_error() -> None:
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/advisories/", {"updated_since": ""})

    assert "updated_since" in fields_of(response)


@pytest.mark.parametrize("size", ["null", "", "0", "-1", "abc", "1.5", "²"])
def test_a_page_size_that_is_no_positive_whole_number_is_a_field_error(
    size: str, partner: Any
) -> None:
    response = token_client(partner).get("/api/v1/cases/", {"page_size": size})

    assert fields_of(response) == {"page_size": ["A whole number from 1 to 200."]}


def test_a_page_size_above_the_maximum_is_capped_as_documented(partner: Any) -> None:
    client = token_client(partner)

    assert client.get("/api/v1/cases/", {"page_size": "5"}).status_code == 200
    assert client.get("/api/v1/cases/", {"page_size": "100000"}).status_code == 200


@pytest.fixture
def proposal(partner_case: Case, coordinator: Any, maintainer: Any) -> Any:
    services.start_clock(
        partner_case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )
    return services.propose_date(
        partner_case, maintainer, public_at=timezone.now() + dt.timedelta(days=20), reason="x"
    )


@pytest.mark.parametrize("comment", [42, 4.2, True, ["text"], {"text": "x"}])
def test_a_proposal_response_with_a_comment_that_is_not_text_is_a_field_error(
    comment: Any, proposal: Any, partner: Any
) -> None:
    url = (
        f"/api/v1/cases/{proposal.embargo.case.reference}/embargo/proposals/{proposal.pk}/respond/"
    )

    response = token_client(partner).post(
        url, {"stance": "object", "comment": comment}, format="json"
    )

    assert fields_of(response) == {"comment": ["Not a valid string."]}
    # Only the proposer's own agreement, recorded with the proposal.
    assert not ProposalResponse.objects.filter(user=partner).exists()


def test_a_proposal_response_with_a_text_comment_is_taken(proposal: Any, partner: Any) -> None:
    url = (
        f"/api/v1/cases/{proposal.embargo.case.reference}/embargo/proposals/{proposal.pk}/respond/"
    )

    response = token_client(partner).post(
        url, {"stance": "object", "comment": "Too early for us."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert ProposalResponse.objects.get(user=partner).comment == "Too early for us."


def test_a_proposal_whose_reason_is_a_number_is_a_field_error(
    proposal: Any, maintainer: Any
) -> None:
    public_at = (timezone.now() + dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = token_client(maintainer).post(
        f"/api/v1/cases/{proposal.embargo.case.reference}/embargo/proposals/",
        {"public_at": public_at, "reason": 7},
        format="json",
    )

    assert fields_of(response) == {"reason": ["Not a valid string."]}


# ------------------------------------------------ text fields of cases' API serializers


@pytest.mark.parametrize("field", ["title", "description", "purl", "cwe"])
def test_a_report_whose_text_field_is_a_number_is_a_field_error(field: str, partner: Any) -> None:
    finding = {"title": "Overflow in the parser", "description": "Details."} | {field: 42}

    response = token_client(partner).post("/api/v1/reports/", finding, format="json")

    assert field in fields_of(response)


def test_a_comment_whose_body_is_a_number_is_a_field_error(
    partner_case: Case, partner: Any
) -> None:
    response = token_client(partner).post(
        f"/api/v1/cases/{partner_case.reference}/comments/", {"body": 7}, format="json"
    )

    assert "body" in fields_of(response)


def test_a_vulnerability_whose_title_is_a_number_is_a_field_error(
    case: Case, maintainer: Any
) -> None:
    response = token_client(maintainer).post(
        f"/api/v1/cases/{case.reference}/vulnerabilities/",
        {"title": 12345, "affected": [{"purl": "pkg:pypi/libexample", "fixed": [1]}]},
        format="json",
    )

    fields = fields_of(response)
    assert "title" in fields
    assert any(key.startswith("affected") for key in fields), fields
