"""The release gate through the API: what the release says, the override, publishing by
hand, accepting a proposed date, and "deployed" before the release (issue 13 §1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cases.models import Case
from disclosure import services
from disclosure.models import (
    AdvisoryState,
    EmbargoPolicy,
    EmbargoState,
    ProposalState,
    PublicationOverride,
)
from tests.api.conftest import token_client
from tests.disclosure.advisory_factories import approved_advisory, set_embargo
from tests.disclosure.disc_factories import release_fix

pytestmark = pytest.mark.django_db


@pytest.fixture
def gated_case(partner_case: Case, coordinator: Any, second_coordinator: Any) -> Case:
    """Embargo lifted, advisory approved, libexample's fix only "ready"."""
    set_embargo(partner_case, timezone.now() - dt.timedelta(minutes=1), EmbargoState.LIFTED)
    release_fix(partner_case, coordinator, status="ready")
    approved_advisory(partner_case, coordinator, second_coordinator)
    return partner_case


def test_the_release_says_whether_the_gate_allows_publication(
    gated_case: Case, partner: Any, coordinator: Any
) -> None:
    url = f"/api/v1/cases/{gated_case.reference}/release/"
    gate = token_client(partner).get(url).json()["publication_gate"]
    assert gate == {
        "released": False,
        "allows_publication": False,
        "blockers": ["libexample: the fix is ready but not released yet."],
        "override": None,
    }
    release_fix(gated_case, coordinator)
    gate = token_client(partner).get(url).json()["publication_gate"]
    assert gate["released"] is True and gate["blockers"] == []


def test_a_case_without_a_plan_reads_as_gated(case: Case, maintainer: Any) -> None:
    body = token_client(maintainer).get(f"/api/v1/cases/{case.reference}/release/").json()
    assert body["publication_gate"]["blockers"] == [
        "There is no release plan: no fix is recorded as released."
    ]


def test_publishing_through_the_api_is_refused_until_a_coordinator_overrides(
    gated_case: Case, coordinator: Any, second_coordinator: Any, maintainer: Any
) -> None:
    advisory = gated_case.advisory
    publish = f"/api/v1/cases/{gated_case.reference}/advisory/steps/publish/"
    step = {"version": advisory.version}
    refused = token_client(second_coordinator).post(publish, step, format="json")
    assert refused.status_code == 409
    assert "the fix is ready but not released yet" in refused.json()["error"]["message"]

    override = f"/api/v1/cases/{gated_case.reference}/release/gate/override/"
    assert token_client(maintainer).post(override, {"reason": "x"}).status_code == 403
    missing = token_client(coordinator).post(override, {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]
    created = token_client(coordinator).post(override, {"reason": "Leaked"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["allows_publication"] is True and body["released"] is False
    assert body["override"]["reason"] == "Leaked"
    assert body["override"]["decided_by"] == "Cora Ordinator"

    published = token_client(second_coordinator).post(publish, step, format="json")
    assert published.status_code == 200
    assert published.json()["state"] == AdvisoryState.PUBLISHED


def test_revoking_the_override_through_the_api(gated_case: Case, coordinator: Any) -> None:
    services.override_publication_gate(gated_case, coordinator, reason="Leaked")
    url = f"/api/v1/cases/{gated_case.reference}/release/gate/override/revoke/"
    response = token_client(coordinator).post(url)
    assert response.status_code == 200
    assert response.json()["override"] is None
    assert not PublicationOverride.objects.filter(revoked_at__isnull=True).exists()
    assert token_client(coordinator).post(url).status_code == 409


def test_accepting_a_date_through_the_api_needs_the_agreement_or_an_override(
    partner_case: Case, coordinator: Any, maintainer: Any, partner: Any
) -> None:
    services.start_clock(
        partner_case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )
    proposal = services.propose_date(
        partner_case, coordinator, public_at=timezone.now() + dt.timedelta(days=20), reason="X"
    )
    url = f"/api/v1/cases/{partner_case.reference}/embargo/proposals/{proposal.pk}/accept/"
    assert token_client(partner).post(url, {}, format="json").status_code == 403

    refused = token_client(coordinator).post(url, {}, format="json")
    assert refused.status_code == 400
    assert "override" in refused.json()["error"]["fields"]
    no_reason = token_client(coordinator).post(url, {"override": True}, format="json")
    assert "override_reason" in no_reason.json()["error"]["fields"]

    accepted = token_client(coordinator).post(
        url, {"override": True, "override_reason": "Exploited"}, format="json"
    )
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["state"] == ProposalState.ACCEPTED
    assert body["agreement_override"] is True and body["override_reason"] == "Exploited"


def test_deployed_is_refused_through_the_api_before_the_release(
    partner_case: Case, coordinator: Any, partner: Any
) -> None:
    release_fix(partner_case, coordinator, status="ready")
    url = f"/api/v1/cases/{partner_case.reference}/release/deployment/"
    refused = token_client(partner).post(url, {"status": "deployed"}, format="json")
    assert refused.status_code == 400
    assert "once the fix is released" in refused.json()["error"]["fields"]["status"][0]

    in_progress = token_client(partner).post(url, {"status": "in_progress"}, format="json")
    assert in_progress.status_code == 200
    assert in_progress.json()["status"] == "in_progress"
