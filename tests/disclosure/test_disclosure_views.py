"""The embargo and release panels and their POST views: who sees and does what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.access import access_for
from cases.models import Case, Profile
from disclosure import services
from disclosure.models import DeploymentReport, Embargo, EmbargoProposal, ProposalState
from disclosure.panels import build_panels
from tests.disclosure.conftest import MONDAY
from tests.disclosure.disc_factories import release_fix
from tests.factories import make_organisation, make_user

UTC = dt.UTC


def url(name: str, case: Case, *args: Any) -> str:
    return reverse(f"disclosure:{name}", args=[case.reference, *args])


@pytest.fixture
def proposal(frozen: Any, case: Case, coordinator: Any, maintainer: Any, policy: Any) -> Any:
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    return services.propose_date(
        case, maintainer, public_at=dt.datetime(2026, 4, 1, 12, tzinfo=UTC), reason="QA time"
    )


def test_maintainer_proposes_a_date_through_the_form(
    frozen: Any, case: Case, maintainer: Any, client_for: Any
) -> None:
    response = client_for(maintainer).post(
        url("proposal_create", case), {"public_at": "2026-04-01T12:00", "reason": "QA"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/cases/{case.reference}/#embargo")
    proposal = EmbargoProposal.objects.get(embargo__case=case)
    assert proposal.public_at == dt.datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert case.timeline.filter(action="case.embargo.proposed").exists()


def test_bad_input_shows_the_errors_next_to_the_fields(
    frozen: Any, case: Case, maintainer: Any, client_for: Any
) -> None:
    response = client_for(maintainer).post(
        url("proposal_create", case), {"public_at": "2026-02-01T12:00", "reason": "late"}
    )

    assert response.status_code == 400
    assert b"Propose a date in the future." in response.content
    assert not EmbargoProposal.objects.exists()


def test_partner_cannot_propose_and_outsider_gets_404(
    frozen: Any, partner_case: Case, partner: Any, outsider: Any, client_for: Any
) -> None:
    data = {"public_at": "2026-04-01T12:00", "reason": "x"}
    assert client_for(partner).post(url("proposal_create", partner_case), data).status_code == 403
    assert client_for(outsider).post(url("proposal_create", partner_case), data).status_code == 404
    anonymous = client_for(None).post(url("proposal_create", partner_case), data)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_post_views_refuse_get(frozen: Any, case: Case, coordinator: Any, client_for: Any) -> None:
    assert client_for(coordinator).get(url("proposal_create", case)).status_code == 405


def test_partner_objects_and_coordinator_accepts_through_the_forms(
    frozen: Any,
    partner_case: Case,
    proposal: Any,
    coordinator: Any,
    partner: Any,
    client_for: Any,
) -> None:
    r = client_for(partner).post(
        url("proposal_respond", partner_case, proposal.pk),
        {"stance": "object", "comment": "Our release train is later"},
    )
    assert r.status_code == 302
    assert (
        client_for(partner).post(url("proposal_accept", partner_case, proposal.pk)).status_code
        == 403
    )

    # An empty POST does nothing: the button sends "confirm".
    empty = client_for(coordinator).post(url("proposal_accept", partner_case, proposal.pk), {})
    assert empty.status_code == 400
    r = client_for(coordinator).post(
        url("proposal_accept", partner_case, proposal.pk), {"confirm": "on"}
    )
    assert r.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED
    assert Embargo.objects.get(case=partner_case).public_at == proposal.public_at


def test_a_proposal_of_another_case_is_404(
    frozen: Any, case: Case, proposal: Any, coordinator: Any, project: Any, client_for: Any
) -> None:
    from tests.factories import make_case

    other = make_case(coordinator, project=project)
    r = client_for(coordinator).post(url("proposal_reject", other, proposal.pk), {"reason": "x"})
    assert r.status_code == 404


def test_coordinator_breaks_the_embargo_through_the_form(
    frozen: Any, case: Case, proposal: Any, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    data = {"kind": "leak", "reason": "Posted on a forum", "grace_hours": "2"}
    assert client_for(maintainer).post(url("embargo_break", case), data).status_code == 403

    assert client_for(coordinator).post(url("embargo_break", case), data).status_code == 302
    embargo = Embargo.objects.get(case=case)
    assert embargo.state == "broken"
    assert embargo.public_at == MONDAY + dt.timedelta(hours=2)


def test_maintainer_updates_own_project_release_but_not_another(
    frozen: Any,
    case: Case,
    coordinator: Any,
    maintainer: Any,
    other_maintainer: Any,
    other_maintainer_org: Any,
    other_project: Any,
    client_for: Any,
) -> None:
    from cases import services as case_services

    case_services.add_project(case, coordinator, other_project)
    case_services.add_participant(
        case, coordinator, organisation=other_maintainer_org, role="maintainer", notify=False
    )
    plan = services.save_release_plan(case, coordinator, target_at=None, expected_version=None)
    mine = plan.project_releases.get(project__name="libexample")
    data = {"fixed_versions": "1.4.2", "fix_url": "https://x.example/pr/1", "status": "ready"}

    assert (
        client_for(other_maintainer)
        .post(url("project_release_update", case, mine.pk), data)
        .status_code
        == 403
    )
    r = client_for(maintainer).post(url("project_release_update", case, mine.pk), data)
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.fixed_versions == ["1.4.2"] and mine.status == "ready"


def test_a_stale_release_edit_is_refused_in_the_page(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    plan = services.save_release_plan(case, coordinator, target_at=None, expected_version=None)
    release = plan.project_releases.get()
    data = {"fixed_versions": "1.4.2", "fix_url": "", "status": "ready", "version": release.version}
    assert (
        client_for(maintainer)
        .post(url("project_release_update", case, release.pk), data)
        .status_code
        == 302
    )
    r = client_for(coordinator).post(
        url("project_release_update", case, release.pk), {**data, "fixed_versions": "1.4.3"}
    )
    assert r.status_code == 400
    assert b"changed by someone else" in r.content


def test_partner_reports_deployment_for_their_organisation_only(
    frozen: Any,
    deploy_case: Case,
    partner: Any,
    maintainer: Any,
    partner_org: Any,
    downstream_org: Any,
    client_for: Any,
    coordinator: Any,
) -> None:
    release_fix(deploy_case, coordinator)  # "deployed" waits for the release
    c = client_for(partner)
    own = {"organisation": partner_org.pk, "status": "deployed", "note": "done"}
    other = {"organisation": downstream_org.pk, "status": "deployed"}

    assert c.post(url("deployment_report", deploy_case), other).status_code == 400
    assert c.post(url("deployment_report", deploy_case), own).status_code == 302
    assert (
        client_for(maintainer).post(url("deployment_report", deploy_case), own).status_code == 403
    )
    assert DeploymentReport.objects.get(case=deploy_case).organisation == partner_org


def test_release_overview_page(
    frozen: Any, deploy_case: Case, coordinator: Any, partner: Any, outsider: Any, client_for: Any
) -> None:
    services.save_release_plan(
        deploy_case,
        coordinator,
        target_at=dt.datetime(2026, 3, 13, 14, tzinfo=UTC),
        expected_version=None,
    )
    page = client_for(partner).get(url("release_overview", deploy_case))
    assert page.status_code == 200
    assert b"No-go" in page.content
    assert b"libexample: the fix is not ready yet." in page.content
    assert client_for(outsider).get(url("release_overview", deploy_case)).status_code == 404


def test_case_page_shows_public_date_in_utc_and_the_viewers_zone(
    frozen: Any, case: Case, proposal: Any, maintainer: Any, client_for: Any
) -> None:
    Profile.objects.update_or_create(user=maintainer, defaults={"timezone": "Europe/Berlin"})
    page = client_for(maintainer).get(reverse("cases:case_detail", args=[case.reference]))
    body = page.content.decode()

    assert page.status_code == 200
    # Standard clock from Monday 2 March: Monday 1 June 12:00 UTC = 14:00 in Berlin.
    assert "2026-06-01 12:00 UTC" in body
    assert "2026-06-01 14:00 CEST" in body
    assert "Report" in body  # what started the clock
    assert "QA time" in body  # the proposal's reason
    assert 'action="' + url("proposal_withdraw", case, proposal.pk) + '"' in body


def test_panel_queries_do_not_grow_with_proposals_and_organisations(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    partner_org: Any,
    downstream_org: Any,
    policy: Any,
) -> None:
    services.start_clock(deploy_case, coordinator, policy=policy("standard"), started_by="R")
    plan = services.save_release_plan(
        deploy_case, coordinator, target_at=None, expected_version=None
    )
    services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)

    def count() -> int:
        access = access_for(partner, Case.objects.get(pk=deploy_case.pk))
        with CaptureQueriesContext(connection) as ctx:
            panels = build_panels(access.case, access)
            for form in panels.forms.values():
                str(form)
        return len(ctx.captured_queries)

    services.propose_date(
        deploy_case, maintainer, public_at=MONDAY + dt.timedelta(days=20), reason="a"
    )
    before = count()
    for i in range(3):
        p = services.propose_date(
            deploy_case, maintainer, public_at=MONDAY + dt.timedelta(days=21 + i), reason="b"
        )
        services.respond_to_proposal(p, partner, stance="agree")
    services.add_pre_notification(deploy_case, coordinator, organisation=downstream_org)
    services.report_deployment(deploy_case, partner, organisation=partner_org, status="in_progress")
    assert plan.pk
    assert count() == before


def test_metrics_page_is_for_the_sirt_only(
    coordinator: Any, maintainer: Any, partner: Any, outsider: Any, client_for: Any
) -> None:
    page = client_for(coordinator).get(reverse("disclosure:metrics"))
    assert page.status_code == 200
    assert b"Time to deploy" in page.content
    for user in (maintainer, partner, outsider):
        assert client_for(user).get(reverse("disclosure:metrics")).status_code == 404
    anonymous = client_for(None).get(reverse("disclosure:metrics"))
    assert anonymous.status_code == 302


def test_sirt_membership_is_what_counts_for_metrics(db: Any, client_for: Any) -> None:
    staff = make_user("staffer", is_staff=True, organisation=make_organisation("partner"))
    assert client_for(staff).get(reverse("disclosure:metrics")).status_code == 404
