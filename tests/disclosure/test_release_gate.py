"""The release gate (issue 13 §1): nothing goes public before the fix is out, unless a
coordinator decides so with a reason; the sweep escalates a gated advisory once a day;
a public date needs the maintainers' agreement or an override; "deployed" waits for
the release."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.audit import AuditEvent
from cases.models import Case, Participant, ParticipantRole, TransitionError
from disclosure import services
from disclosure.advisories.publication import publish_due_advisories
from disclosure.models import (
    Advisory,
    AdvisoryState,
    DeploymentStatus,
    EmbargoPolicy,
    EmbargoState,
    ProposalState,
    PublicationOverride,
)
from disclosure.models.embargo import Agreement
from disclosure.notifications import sweep
from disclosure.notifications.models import Channel, Notification
from tests.disclosure.advisory_factories import approved_advisory, set_embargo
from tests.disclosure.conftest import actions
from tests.disclosure.disc_factories import release_fix

pytestmark = pytest.mark.django_db

LIFT = dt.datetime(2027, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Tuesday


def in_app(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind, channel=Channel.IN_APP))


@pytest.fixture
def ready_case(partner_case: Case, coordinator: Any) -> Case:
    """libexample's case, embargo lifted, its fix "ready" but not released."""
    set_embargo(partner_case, timezone.now() - dt.timedelta(minutes=1), EmbargoState.LIFTED)
    release_fix(partner_case, coordinator, status="ready")
    return partner_case


@pytest.fixture
def gated(ready_case: Case, coordinator: Any, second_coordinator: Any) -> Advisory:
    return approved_advisory(ready_case, coordinator, second_coordinator)


# --------------------------------------------------------------------------- the gate


def test_publication_is_blocked_while_the_fix_is_only_ready(
    gated: Advisory, second_coordinator: Any
) -> None:
    assert services.publication_blockers(gated.case) == [
        "libexample: the fix is ready but not released yet."
    ]
    with pytest.raises(TransitionError) as err:
        gated.publish(second_coordinator)

    assert "the fix is ready but not released yet" in str(err.value)
    gated.refresh_from_db()
    assert gated.state == AdvisoryState.APPROVED
    assert "case.advisory.published" not in actions(gated.case)


def test_no_release_plan_and_a_project_missing_from_it_block_publication(
    case: Case, coordinator: Any, other_project: Any
) -> None:
    assert services.publication_blockers(case) == [
        "There is no release plan: no fix is recorded as released."
    ]
    release_fix(case, coordinator)
    assert services.publication_blockers(case) == []

    from cases import services as case_services

    case_services.add_project(case, coordinator, other_project)
    assert services.publication_blockers(case) == ["fastparse: not part of the release plan."]


def test_a_released_fix_opens_the_gate(
    gated: Advisory, coordinator: Any, second_coordinator: Any
) -> None:
    release_fix(gated.case, coordinator)
    gate = services.publication_gate(gated.case)
    assert gate.is_released and gate.allows_publication and gate.override is None

    published = gated.publish(second_coordinator)
    assert published is not None and published.state == AdvisoryState.PUBLISHED


def test_a_released_fix_through_the_release_service_opens_the_gate(
    case: Case, coordinator: Any, maintainer: Any
) -> None:
    plan = services.save_release_plan(
        case, coordinator, target_at=timezone.now() + dt.timedelta(days=3), expected_version=None
    )
    release = plan.project_releases.get()
    services.update_project_release(
        release, maintainer, fix_url="", status="ready", expected_version=None
    )
    assert services.publication_blockers(case) == [
        "libexample: the fix is ready but not released yet."
    ]


def test_only_a_coordinator_overrides_and_only_with_a_reason(
    gated: Advisory, coordinator: Any, maintainer: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.override_publication_gate(gated.case, maintainer, reason="We are fine")
    with pytest.raises(ValidationError) as err:
        services.override_publication_gate(gated.case, coordinator, reason="   ")
    assert "reason" in err.value.message_dict
    assert not PublicationOverride.objects.exists()


def test_an_override_is_stored_logged_audited_notified_and_lets_publication_through(
    gated: Advisory,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    partner: Any,
    reporter: Any,
) -> None:
    case = gated.case
    override = services.override_publication_gate(
        case, coordinator, reason="Exploited in the wild; the workaround is enough."
    )

    assert override.in_force and override.decided_by == coordinator
    assert override.blockers == ["libexample: the fix is ready but not released yet."]
    entry = case.timeline.get(action="case.release.gate_overridden")
    assert entry.actor == coordinator
    assert entry.data["reason"] == "Exploited in the wild; the workaround is enough."
    assert AuditEvent.objects.filter(action="release.gate_overridden", actor=coordinator).exists()
    for participant in (maintainer, partner, reporter):
        assert len(in_app(participant, "release.gate_overridden")) == 1
    gate = services.publication_gate(case)
    assert not gate.is_released and gate.allows_publication and gate.override == override

    published = gated.publish(second_coordinator)
    assert published is not None and published.state == AdvisoryState.PUBLISHED


def test_an_override_is_refused_twice_and_when_nothing_blocks(
    gated: Advisory, coordinator: Any
) -> None:
    services.override_publication_gate(gated.case, coordinator, reason="Leak")
    with pytest.raises(TransitionError):
        services.override_publication_gate(gated.case, coordinator, reason="Again")
    services.revoke_publication_override(gated.case, coordinator)

    release_fix(gated.case, coordinator)
    with pytest.raises(TransitionError) as err:
        services.override_publication_gate(gated.case, coordinator, reason="Nothing to do")
    assert "nothing to override" in str(err.value)
    assert PublicationOverride.objects.filter(revoked_at__isnull=True).count() == 0


def test_after_publication_the_override_stays_on_the_record(
    gated: Advisory, coordinator: Any, second_coordinator: Any
) -> None:
    services.override_publication_gate(gated.case, coordinator, reason="Leak")
    gated.publish(second_coordinator)
    with pytest.raises(TransitionError):
        services.revoke_publication_override(gated.case, coordinator)
    assert PublicationOverride.objects.get().in_force


def test_revoking_the_override_closes_the_gate_again(
    gated: Advisory, coordinator: Any, second_coordinator: Any
) -> None:
    services.override_publication_gate(gated.case, coordinator, reason="Leak")
    revoked = services.revoke_publication_override(gated.case, coordinator)

    assert revoked.revoked_by == coordinator and not revoked.in_force
    assert actions(gated.case)[-1] == "case.release.gate_override_revoked"
    assert AuditEvent.objects.filter(action="release.gate_override_revoked").exists()
    with pytest.raises(TransitionError):
        gated.publish(second_coordinator)
    with pytest.raises(TransitionError):
        services.revoke_publication_override(gated.case, coordinator)


def test_the_scheduler_does_not_publish_a_gated_advisory_until_overridden(
    case: Case, coordinator: Any, second_coordinator: Any
) -> None:
    with time_machine.travel(LIFT - dt.timedelta(days=10), tick=False):
        set_embargo(case, LIFT)
        release_fix(case, coordinator, status="ready")
        advisory = approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)
    with time_machine.travel(LIFT + dt.timedelta(minutes=5), tick=False):
        assert publish_due_advisories() == []
        advisory.refresh_from_db()
        assert advisory.state == AdvisoryState.SCHEDULED
        services.override_publication_gate(case, coordinator, reason="Fix is on the mirrors")
        assert publish_due_advisories() == [advisory.pk]
    entry = case.timeline.get(action="case.advisory.published")
    assert entry.data["automatic"] is True


# --------------------------------------------------------------------------- the sweep


@pytest.fixture
def scheduled_gated(case: Case, coordinator: Any, second_coordinator: Any) -> Advisory:
    with time_machine.travel(LIFT - dt.timedelta(days=10), tick=False):
        set_embargo(case, LIFT)
        release_fix(case, coordinator, status="ready")
        advisory = approved_advisory(case, coordinator, second_coordinator)
        advisory = advisory.schedule(coordinator)
        Notification.objects.all().delete()
    return advisory


def sweep_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sweep.run()


def test_the_sweep_escalates_a_due_gated_advisory_once_a_day(
    scheduled_gated: Advisory, coordinator: Any, maintainer: Any
) -> None:
    sweep_at(LIFT - dt.timedelta(minutes=1))  # not due yet: the embargo holds
    assert in_app(coordinator, "escalation.publication_gated") == []

    sweep_at(LIFT + dt.timedelta(minutes=1))
    sweep_at(LIFT + dt.timedelta(hours=3))
    sweep_at(LIFT + dt.timedelta(hours=3))
    (row,) = in_app(coordinator, "escalation.publication_gated")
    assert row.data["advisory_id"] == scheduled_gated.pk
    assert in_app(maintainer, "escalation.publication_gated") == []
    scheduled_gated.refresh_from_db()
    assert scheduled_gated.state == AdvisoryState.SCHEDULED  # the sweep never publishes

    sweep_at(LIFT + dt.timedelta(days=1, minutes=1))
    assert len(in_app(coordinator, "escalation.publication_gated")) == 2


def test_the_sweep_stops_escalating_once_overridden_or_released(
    scheduled_gated: Advisory, coordinator: Any
) -> None:
    sweep_at(LIFT + dt.timedelta(minutes=1))
    with time_machine.travel(LIFT + dt.timedelta(hours=1), tick=False):
        services.override_publication_gate(scheduled_gated.case, coordinator, reason="Leak")
    sweep_at(LIFT + dt.timedelta(days=1, minutes=1))
    assert len(in_app(coordinator, "escalation.publication_gated")) == 1

    PublicationOverride.objects.update(revoked_at=timezone.now(), revoked_by=coordinator)
    release_fix(scheduled_gated.case, coordinator)
    sweep_at(LIFT + dt.timedelta(days=2, minutes=1))
    assert len(in_app(coordinator, "escalation.publication_gated")) == 1


# --------------------------------------------------------------------------- embargo dates


@pytest.fixture
def standard(partner_case: Case, coordinator: Any) -> Case:
    services.start_clock(
        partner_case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )
    return partner_case


def in_weeks(weeks: int) -> dt.datetime:
    return (timezone.now() + dt.timedelta(weeks=weeks)).replace(microsecond=0)


def test_a_coordinator_cannot_accept_their_own_proposal_alone(
    standard: Case, coordinator: Any, maintainer: Any
) -> None:
    proposal = services.propose_date(standard, coordinator, public_at=in_weeks(3), reason="Soon")
    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator)
    assert "libexample maintainers" in err.value.message_dict["override"][0]
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PROPOSED

    services.respond_to_proposal(proposal, maintainer, stance="agree")
    accepted = services.accept_proposal(proposal, coordinator)
    assert accepted.state == ProposalState.ACCEPTED and not accepted.agreement_override


def test_a_maintainers_proposal_carries_their_agreement(
    standard: Case, coordinator: Any, maintainer: Any
) -> None:
    proposal = services.propose_date(standard, maintainer, public_at=in_weeks(3), reason="QA")
    agreement = services.proposal_agreement(proposal)
    assert agreement.is_reached
    assert [p.display_name for p in agreement.agreed] == ["libexample maintainers"]
    assert services.accept_proposal(proposal, coordinator).state == ProposalState.ACCEPTED


def test_an_objecting_maintainer_blocks_acceptance_without_an_override(
    standard: Case, coordinator: Any, maintainer: Any, partner: Any, reporter: Any
) -> None:
    proposal = services.propose_date(standard, coordinator, public_at=in_weeks(2), reason="Soon")
    services.respond_to_proposal(proposal, maintainer, stance="object", comment="Too early")
    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator, override=True)
    assert "override_reason" in err.value.message_dict

    accepted = services.accept_proposal(
        proposal, coordinator, override=True, override_reason="Exploitation expected"
    )

    assert accepted.agreement_override and not accepted.override
    assert accepted.override_reason == "Exploitation expected"
    entry = standard.timeline.get(action="case.embargo.proposal_accepted")
    assert entry.data["agreement_override"] is True
    for participant in (maintainer, partner, reporter):
        assert len(in_app(participant, "embargo.overridden")) == 1


def test_a_policy_asking_all_parties_needs_the_partner_too(
    standard: Case, coordinator: Any, maintainer: Any, partner: Any
) -> None:
    EmbargoPolicy.objects.filter(code="standard").update(agreement=Agreement.ALL_PARTIES)
    proposal = services.propose_date(standard, maintainer, public_at=in_weeks(3), reason="QA")
    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator)
    assert "Partner Corp" in err.value.message_dict["override"][0]

    services.respond_to_proposal(proposal, partner, stance="agree")
    assert services.accept_proposal(proposal, coordinator).state == ProposalState.ACCEPTED


def test_without_any_maintainer_only_an_override_sets_the_date(
    case: Case, coordinator: Any
) -> None:
    Participant.objects.filter(case=case, role=ParticipantRole.MAINTAINER).update(
        removed_at=timezone.now()
    )
    proposal = services.propose_date(case, coordinator, public_at=in_weeks(3), reason="X")
    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator)
    assert "No maintainer takes part" in err.value.message_dict["override"][0]


# --------------------------------------------------------------------------- deployment


def test_deployed_waits_for_the_release_and_in_progress_does_not(
    deploy_case: Case, coordinator: Any, partner: Any, partner_org: Any
) -> None:
    release_fix(deploy_case, coordinator, status="ready")
    with pytest.raises(ValidationError) as err:
        services.report_deployment(
            deploy_case, partner, organisation=partner_org, status=DeploymentStatus.DEPLOYED
        )
    assert "once the fix is released" in err.value.message_dict["status"][0]
    assert not deploy_case.deployment_reports.exists()

    report = services.report_deployment(
        deploy_case, partner, organisation=partner_org, status=DeploymentStatus.IN_PROGRESS
    )
    assert report.status == DeploymentStatus.IN_PROGRESS

    release_fix(deploy_case, coordinator)
    report = services.report_deployment(
        deploy_case, partner, organisation=partner_org, status=DeploymentStatus.DEPLOYED
    )
    assert report.status == DeploymentStatus.DEPLOYED


# --------------------------------------------------------------------------- web


def case_page(client: Client, case: Case) -> str:
    response = client.get(reverse("cases:case_detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_says_no_go_with_the_reason_while_the_fix_is_only_ready(
    gated: Advisory, client_for: Any, coordinator: Any, maintainer: Any
) -> None:
    for user in (coordinator, maintainer):
        page = case_page(client_for(user), gated.case)
        assert "No-go" in page
        assert "libexample: the fix is ready but not released yet." in page
        assert "Go: " not in page.replace("No-go", "")
    assert "Override the release gate" in case_page(client_for(coordinator), gated.case)
    assert "Override the release gate" not in case_page(client_for(maintainer), gated.case)

    release_fix(gated.case, coordinator)
    assert "Go: the fix is released" in case_page(client_for(coordinator), gated.case)


def test_overriding_on_the_web_needs_a_reason_and_shows_who_when_why(
    gated: Advisory, client_for: Any, coordinator: Any, maintainer: Any
) -> None:
    url = reverse("disclosure:publication_gate_override", args=[gated.case.reference])
    empty = client_for(coordinator).post(url, {"reason": ""})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    assert client_for(maintainer).post(url, {"reason": "Mine"}).status_code == 403

    done = client_for(coordinator).post(url, {"reason": "Exploited in the wild"})
    assert done.status_code == 302

    page = case_page(client_for(maintainer), gated.case)
    assert "gate-override" in page and "Release gate overridden</strong> by" in page
    assert "Cora Ordinator" in page and "Exploited in the wild" in page

    revoke = reverse("disclosure:publication_gate_revoke", args=[gated.case.reference])
    assert client_for(coordinator).post(revoke, {"confirm": "on"}).status_code == 302
    assert "gate-override" not in case_page(client_for(coordinator), gated.case)


def test_publishing_by_hand_on_the_web_is_refused_while_gated(
    gated: Advisory, client_for: Any, second_coordinator: Any
) -> None:
    url = reverse("advisory:transition", args=[gated.case.reference, "publish"])
    client = client_for(second_coordinator)
    response = client.post(url, {"version": gated.version}, follow=True)

    assert "Publication is blocked until the fix is released" in response.content.decode()
    gated.refresh_from_db()
    assert gated.state == AdvisoryState.APPROVED


def test_accepting_without_agreement_on_the_web_shows_the_error_by_the_override(
    standard: Case, client_for: Any, coordinator: Any
) -> None:
    proposal = services.propose_date(standard, coordinator, public_at=in_weeks(3), reason="Soon")
    page = case_page(client_for(coordinator), standard)
    assert "agreement missing" in page and "Not agreed yet: libexample maintainers" in page

    url = reverse("disclosure:proposal_accept", args=[standard.reference, proposal.pk])
    refused = client_for(coordinator).post(url, {"confirm": "on"})
    assert refused.status_code == 400
    assert "agreement the embargo policy asks for is missing" in refused.content.decode()

    accepted = client_for(coordinator).post(
        url, {"confirm": "on", "override": "on", "override_reason": "Active exploitation"}
    )
    assert accepted.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.agreement_override


def test_reporting_deployed_on_the_web_before_the_release_is_a_form_error(
    deploy_case: Case, client_for: Any, coordinator: Any, partner: Any, partner_org: Any
) -> None:
    release_fix(deploy_case, coordinator, status="ready")
    url = reverse("disclosure:deployment_report", args=[deploy_case.reference])
    response = client_for(partner).post(
        url, {"organisation": partner_org.pk, "status": "deployed", "note": ""}
    )
    assert response.status_code == 400
    assert "once the fix is released" in response.content.decode()
    assert not deploy_case.deployment_reports.exists()

    ok = client_for(partner).post(
        url, {"organisation": partner_org.pk, "status": "in_progress", "note": ""}
    )
    assert ok.status_code == 302
