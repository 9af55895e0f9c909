"""The panel shows a button exactly when the service behind it accepts the click.

For each persona of a case with a maintainer, a partner, a downstream deployer and a
reporter, the panel's flag (``disclosure.panels``, the advisory panel) and the
service's answer come from the same predicate of ``disclosure.access``; these tests
hold them together, and show that each service refuses a user without the right
when called directly (``PermissionDenied``), changing nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import template
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases import access
from cases.models import Case, TransitionError
from disclosure import services
from disclosure.access import (
    can_acknowledge_pre_notification,
    can_report_deployment,
    can_update_project_release,
    can_withdraw_proposal,
)
from disclosure.advisories import services as advisory_services
from disclosure.models import AdvisoryState, EmbargoProposal, ProposalState
from disclosure.panels import Panels, build_panels
from disclosure.templatetags.advisory_tags import advisory_panel
from tests.disclosure.advisory_factories import make_sirt_member

pytestmark = pytest.mark.django_db

PERSONAS = ("coordinator", "maintainer", "partner", "downstream", "reporter", "outsider")


def _panels(case: Case, user: Any) -> Panels | None:
    """The panels as ``user`` sees them; None for someone who cannot see the case."""
    case_access = access.access_for(user, case)
    return build_panels(case, case_access) if case_access.can_view else None


def _propose(case: Case, maintainer: Any) -> EmbargoProposal:
    return services.propose_date(
        case, maintainer, public_at=timezone.now() + dt.timedelta(days=30), reason="Time to fix"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_withdraw_button_and_service_agree(request, persona, deploy_case, maintainer):
    user = request.getfixturevalue(persona)
    proposal = _propose(deploy_case, maintainer)
    panels = _panels(deploy_case, user)
    shown = panels is not None and panels.proposals[0].can_withdraw

    if shown:
        services.withdraw_proposal(proposal, user)
        proposal.refresh_from_db()
        assert proposal.state == ProposalState.WITHDRAWN
    else:
        with pytest.raises(PermissionDenied):
            services.withdraw_proposal(proposal, user)
        proposal.refresh_from_db()
        assert proposal.state == ProposalState.PROPOSED
    assert shown == (persona in ("coordinator", "maintainer"))


def test_another_maintainer_of_the_case_cannot_withdraw_the_proposal(
    deploy_case, maintainer, maintainer_org
):
    from tests.factories import make_user

    colleague = make_user("colleague", organisation=maintainer_org)
    proposal = _propose(deploy_case, colleague)
    case_access = access.access_for(maintainer, deploy_case)

    assert not can_withdraw_proposal(case_access, proposal)
    with pytest.raises(PermissionDenied):
        services.withdraw_proposal(proposal, maintainer)


@pytest.mark.parametrize("persona", PERSONAS)
def test_respond_and_decide_buttons_and_services_agree(request, persona, deploy_case, maintainer):
    user = request.getfixturevalue(persona)
    proposal = _propose(deploy_case, maintainer)
    panels = _panels(deploy_case, user)
    view = panels.proposals[0] if panels is not None else None

    if view is not None and view.can_respond:
        services.respond_to_proposal(proposal, user, stance="agree")
    else:
        with pytest.raises(PermissionDenied):
            services.respond_to_proposal(proposal, user, stance="agree")
    if view is not None and view.can_decide:
        services.reject_proposal(proposal, user, reason="Too late")
    else:
        with pytest.raises(PermissionDenied):
            services.reject_proposal(proposal, user, reason="Too late")
    assert (view is not None and view.can_respond) == (
        persona in ("maintainer", "partner", "downstream")
    )
    assert (view is not None and view.can_decide) == (persona == "coordinator")


def _plan(case: Case, coordinator: Any) -> Any:
    return services.save_release_plan(
        case, coordinator, target_at=timezone.now() + dt.timedelta(days=10), expected_version=None
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_project_release_form_and_service_agree(request, persona, deploy_case, coordinator):
    user = request.getfixturevalue(persona)
    release = _plan(deploy_case, coordinator).project_releases.get()
    panels = _panels(deploy_case, user)
    shown = panels is not None and panels.project_releases[0].can_edit

    def update() -> Any:
        return services.update_project_release(
            release,
            user,
            fixed_versions=["1.4.2"],
            fix_url="",
            status="ready",
            expected_version=None,
        )

    if shown:
        assert update().status == "ready"
    else:
        with pytest.raises(PermissionDenied):
            update()
    assert shown == (persona in ("coordinator", "maintainer"))


def test_a_maintainer_of_another_project_cannot_update_this_projects_release(
    deploy_case, coordinator, other_maintainer, other_maintainer_org, other_project
):
    from cases import services as case_services

    case_services.add_project(deploy_case, coordinator, other_project)
    case_services.add_participant(
        deploy_case, coordinator, organisation=other_maintainer_org, role="maintainer"
    )
    plan = _plan(deploy_case, coordinator)
    release = plan.project_releases.get(project__name="libexample")
    case_access = access.access_for(other_maintainer, deploy_case)

    assert not can_update_project_release(case_access, release)
    with pytest.raises(PermissionDenied):
        services.update_project_release(
            release,
            other_maintainer,
            fixed_versions=[],
            fix_url="",
            status="ready",
            expected_version=None,
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_deployment_form_and_service_agree(request, persona, deploy_case, partner_org):
    user = request.getfixturevalue(persona)
    panels = _panels(deploy_case, user)
    form = panels.forms.get("deployment") if panels is not None else None
    offered = set(form.fields["organisation"].queryset) if form is not None else set()

    for row in panels.deployments if panels is not None else []:
        case_access = panels.access
        assert (row.organisation in offered) == can_report_deployment(case_access, row.organisation)
    # "in progress": "deployed" also waits for the release (test_release_gate.py).
    if partner_org in offered:
        services.report_deployment(
            deploy_case, user, organisation=partner_org, status="in_progress"
        )
    else:
        with pytest.raises(PermissionDenied):
            services.report_deployment(
                deploy_case, user, organisation=partner_org, status="in_progress"
            )
    assert (partner_org in offered) == (persona in ("coordinator", "partner"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_pre_notification_acknowledgement_button_and_service_agree(
    request, persona, deploy_case, coordinator, partner_org
):
    user = request.getfixturevalue(persona)
    _plan(deploy_case, coordinator)
    pn = services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)
    services.mark_pre_notification_sent(pn, coordinator)
    panels = _panels(deploy_case, user)
    shown = panels is not None and panels.pre_notifications[0].can_acknowledge

    if shown:
        services.acknowledge_pre_notification(pn, user)
        pn.refresh_from_db()
        assert pn.acknowledged_at is not None
    else:
        with pytest.raises(PermissionDenied):
            services.acknowledge_pre_notification(pn, user)
    assert shown == (persona == "partner")
    if panels is not None:
        assert shown == can_acknowledge_pre_notification(panels.access, pn)


@pytest.mark.parametrize("persona", ["maintainer", "partner", "reporter", "outsider"])
def test_only_coordinators_start_clocks_plan_and_pre_notify(
    request, persona, deploy_case, policy, partner_org
):
    user = request.getfixturevalue(persona)
    before = deploy_case.timeline.count()
    with pytest.raises(PermissionDenied):
        services.start_clock(deploy_case, user, policy=policy("standard"), started_by="Report")
    with pytest.raises(PermissionDenied):
        _plan(deploy_case, user)
    with pytest.raises(PermissionDenied):
        services.add_pre_notification(deploy_case, user, organisation=partner_org)
    assert deploy_case.timeline.count() == before


# --------------------------------------------------------------------------- advisory


def _panel_for(case: Case, user: Any) -> dict[str, Any]:
    return advisory_panel(template.Context({"user": user}), case, access.access_for(user, case))


def test_approve_button_and_service_agree_for_author_and_second_coordinator(
    case, coordinator, sirt
):
    second = make_sirt_member(sirt, "coordinator_two")
    advisory = advisory_services.start_advisory(case, coordinator)
    advisory = advisory_services.edit_advisory(
        advisory, coordinator, expected_version=advisory.version, summary="What happened."
    )
    advisory = advisory_services.take_step(advisory, coordinator, "submit")

    assert not _panel_for(case, coordinator)["can_approve"]
    assert _panel_for(case, coordinator)["needs_second"]
    with pytest.raises(TransitionError, match="second coordinator"):
        advisory_services.take_step(advisory, coordinator, "approve")

    assert _panel_for(case, second)["can_approve"]
    approved = advisory_services.take_step(advisory, second, "approve")
    assert approved.state == AdvisoryState.APPROVED
    assert case.timeline.filter(action="case.advisory.approved").exists()


@pytest.mark.parametrize("persona", ["maintainer", "reporter", "outsider"])
def test_only_coordinators_take_the_advisory_through_its_workflow(
    request, persona, case, coordinator
):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        advisory_services.start_advisory(case, user)
    advisory = advisory_services.start_advisory(case, coordinator)
    with pytest.raises(PermissionDenied):
        advisory_services.edit_advisory(
            advisory, user, expected_version=advisory.version, title="Mine"
        )
    with pytest.raises(PermissionDenied):
        advisory_services.take_step(advisory, user, "submit")
    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.DRAFT and advisory.title != "Mine"
