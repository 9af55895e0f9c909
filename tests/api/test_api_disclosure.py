"""Embargo, release plan, advisories, notifications and webhooks through the API, and
the partner's whole journey with nothing but a token."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, ParticipantRole
from disclosure import services
from disclosure.models import DeploymentReport, EmbargoPolicy, ProposalResponse
from disclosure.notifications.models import Channel, Notification
from tests.api.conftest import token_client
from tests.disclosure.advisory_factories import approved_advisory, published_advisory, set_embargo
from tests.disclosure.disc_factories import release_fix

pytestmark = pytest.mark.django_db


def in_days(days: int) -> str:
    moment = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def embargoed_case(partner_case: Case, coordinator: Any) -> Case:
    services.start_clock(
        partner_case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )
    return partner_case


@pytest.fixture
def planned_case(embargoed_case: Case, coordinator: Any) -> Case:
    services.save_release_plan(
        embargoed_case,
        coordinator,
        target_at=timezone.now() + dt.timedelta(days=10),
        expected_version=None,
    )
    return embargoed_case


# --------------------------------------------------------------------------- embargo


def test_participants_read_the_embargo_and_outsiders_get_404(
    embargoed_case: Case, partner: Any, outsider: Any, other_maintainer: Any
) -> None:
    url = f"/api/v1/cases/{embargoed_case.reference}/embargo/"
    body = token_client(partner).get(url).json()
    assert body["state"] == "active" and body["public_at"]
    assert body["clocks"][0]["policy"] == "standard"
    assert token_client(outsider).get(url).status_code == 404
    assert token_client(other_maintainer).get(url).status_code == 404


def test_a_case_without_embargo_reads_as_none(case: Case, maintainer: Any) -> None:
    body = token_client(maintainer).get(f"/api/v1/cases/{case.reference}/embargo/").json()
    assert body["state"] == "none" and body["proposals"] == []


def test_a_maintainer_proposes_a_date_and_the_partner_agrees(
    embargoed_case: Case, maintainer: Any, partner: Any
) -> None:
    ref = embargoed_case.reference
    proposed = token_client(maintainer).post(
        f"/api/v1/cases/{ref}/embargo/proposals/",
        {"public_at": in_days(30), "reason": "The fix needs a release of two projects."},
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    proposal_id = proposed.json()["id"]

    answer = token_client(partner).post(
        f"/api/v1/cases/{ref}/embargo/proposals/{proposal_id}/respond/",
        {"stance": "agree"},
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    # The maintainer agreed by proposing; the partner's answer is the second.
    assert [r["stance"] for r in answer.json()["responses"]] == ["agree", "agree"]
    partner_answer = ProposalResponse.objects.get(participant__organisation__name="Partner Corp")
    assert partner_answer.stance == "agree"
    actions = set(embargoed_case.timeline.values_list("action", flat=True))
    assert {"case.embargo.proposed", "case.embargo.proposal_agreed"} <= actions


def test_a_partner_may_not_propose_and_an_objection_needs_a_reason(
    embargoed_case: Case, partner: Any, maintainer: Any
) -> None:
    ref = embargoed_case.reference
    refused = token_client(partner).post(
        f"/api/v1/cases/{ref}/embargo/proposals/",
        {"public_at": in_days(30), "reason": "later"},
        format="json",
    )
    assert refused.status_code == 403
    proposal = services.propose_date(
        embargoed_case, maintainer, public_at=timezone.now() + dt.timedelta(days=20), reason="x"
    )
    objection = token_client(partner).post(
        f"/api/v1/cases/{ref}/embargo/proposals/{proposal.pk}/respond/",
        {"stance": "object"},
        format="json",
    )
    assert objection.status_code == 400
    assert "comment" in objection.json()["error"]["fields"]


def test_a_proposal_in_the_past_is_a_field_error(embargoed_case: Case, maintainer: Any) -> None:
    response = token_client(maintainer).post(
        f"/api/v1/cases/{embargoed_case.reference}/embargo/proposals/",
        {"public_at": in_days(-1), "reason": "oops"},
        format="json",
    )
    assert response.status_code == 400
    assert "public_at" in response.json()["error"]["fields"]


# --------------------------------------------------------------------------- release


def test_the_maintainer_records_the_release_with_a_version_check(
    planned_case: Case, maintainer: Any, partner: Any
) -> None:
    ref = planned_case.reference
    plan = token_client(partner).get(f"/api/v1/cases/{ref}/release/").json()
    release = plan["projects"][0]
    url = f"/api/v1/cases/{ref}/release/projects/{release['id']}/"
    payload = {
        "fixed_versions": ["1.4.2"],
        "fix_url": "https://git.example.org/fix",
        "status": "ready",
    }

    assert token_client(partner).patch(url, payload, format="json").status_code == 403
    ok = token_client(maintainer).patch(
        url, {**payload, "version": release["version"]}, format="json"
    )
    stale = token_client(maintainer).patch(
        url, {**payload, "version": release["version"]}, format="json"
    )

    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "ready" and ok.json()["fixed_versions"] == ["1.4.2"]
    assert stale.status_code == 409
    assert planned_case.timeline.filter(action="case.release.project_updated").count() == 1


def test_the_partner_reports_deployment_for_its_organisation(
    planned_case: Case, partner: Any, maintainer: Any, coordinator: Any
) -> None:
    release_fix(planned_case, coordinator)  # "deployed" waits for the release
    url = f"/api/v1/cases/{planned_case.reference}/release/deployment/"
    assert (
        token_client(maintainer).post(url, {"status": "deployed"}, format="json").status_code == 403
    )

    response = token_client(partner).post(
        url, {"status": "deployed", "note": "All regions patched."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "deployed" and response.json()["deployed_at"]
    assert DeploymentReport.objects.get().status == "deployed"
    assert planned_case.timeline.filter(action="case.deployment.reported").exists()


def test_pre_notification_is_seen_and_acknowledged_by_the_partner(
    planned_case: Case, partner: Any, coordinator: Any, partner_org: Any
) -> None:
    pn = services.add_pre_notification(planned_case, coordinator, organisation=partner_org)
    services.mark_pre_notification_sent(pn, coordinator)
    client = token_client(partner)

    plan = client.get(f"/api/v1/cases/{planned_case.reference}/release/").json()
    assert plan["pre_notifications"][0]["organisation"] == partner_org.slug
    assert plan["pre_notifications"][0]["sent_at"]
    ack = client.post(
        f"/api/v1/cases/{planned_case.reference}/release/pre-notifications/{pn.pk}/acknowledge/"
    )

    assert ack.status_code == 200, ack.json()
    assert ack.json()["pre_notifications"][0]["acknowledged_at"]


# --------------------------------------------------------------------------- advisories


def test_the_embargoed_draft_is_for_participants_with_view_advisory_draft(
    embargoed_case: Case,
    coordinator: Any,
    second_coordinator: Any,
    partner: Any,
    reporter: Any,
    outsider: Any,
) -> None:
    approved_advisory(embargoed_case, coordinator, second_coordinator)
    url = f"/api/v1/cases/{embargoed_case.reference}/advisory/"

    assert token_client(partner).get(url).status_code == 200
    assert token_client(reporter).get(url).status_code == 403
    assert token_client(outsider).get(url).status_code == 404
    public = token_client(None).get("/api/v1/advisories/").json()
    assert public["results"] == []


def test_published_advisories_are_anonymous_with_links_to_their_files(
    case: Case, coordinator: Any, second_coordinator: Any, project: Any, other_project: Any
) -> None:
    from tests.disclosure.advisory_factories import enrich_case

    enrich_case(case, coordinator, project, other_project)
    advisory = published_advisory(case, coordinator, second_coordinator)
    client = token_client(None)

    listed = client.get("/api/v1/advisories/").json()["results"]
    one = client.get(f"/api/v1/advisories/{advisory.identifier}/")

    assert [a["identifier"] for a in listed] == [advisory.identifier]
    body = one.json()
    assert "CVE-2026-41001" in body["cve_ids"]
    assert body["links"]["csaf"].endswith(f"/advisories/{advisory.identifier}/csaf.json")
    assert body["links"]["osv"] and body["links"]["cve"]
    assert client.get(body["links"]["csaf"].replace("http://testserver", "")).status_code == 200
    assert client.get(f"/api/v1/advisories/?updated_since={in_days(-1)}").json()["results"]
    assert client.get(f"/api/v1/advisories/?updated_since={in_days(1)}").json()["results"] == []


def test_an_unpublished_advisory_does_not_exist_publicly(
    embargoed_case: Case, coordinator: Any, second_coordinator: Any
) -> None:
    advisory = approved_advisory(embargoed_case, coordinator, second_coordinator)
    response = token_client(coordinator).get(f"/api/v1/advisories/{advisory.identifier}/")
    assert response.status_code == 404


# --------------------------------------------------------------------------- notifications


def test_notifications_list_and_mark_read(partner_case: Case, partner: Any, outsider: Any) -> None:
    mine = Notification.objects.create(
        kind="comment.posted",
        key="comment.posted",
        subject="comment:1",
        due_at=timezone.now(),
        case=partner_case,
        recipient=partner,
        channel=Channel.IN_APP,
    )
    client = token_client(partner)

    listed = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["id"] for n in listed] == [mine.pk]
    assert listed[0]["case"] == partner_case.reference
    assert token_client(outsider).post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 404
    assert client.post(f"/api/v1/notifications/{mine.pk}/read/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["results"] == []


def test_notifications_of_a_case_one_can_no_longer_see_are_hidden(
    partner_case: Case, partner: Any, coordinator: Any
) -> None:
    Notification.objects.create(
        kind="comment.posted",
        key="comment.posted",
        subject="comment:2",
        due_at=timezone.now(),
        case=partner_case,
        recipient=partner,
        channel=Channel.IN_APP,
    )
    participation = partner_case.participants.get(role=ParticipantRole.PARTNER)
    case_services.remove_participant(participation, coordinator)
    body = token_client(partner).get("/api/v1/notifications/").content.decode()
    assert partner_case.reference not in body


# --------------------------------------------------------------------------- webhooks


def test_webhooks_are_those_of_my_organisations(
    partner: Any, partner_org: Any, outsider: Any
) -> None:
    from disclosure.notifications.models import WebhookSubscription

    sub = WebhookSubscription.objects.create(
        organisation=partner_org, url="https://hooks.partner.example/akrites"
    )
    assert [w["id"] for w in token_client(partner).get("/api/v1/webhooks/").json()] == [sub.pk]
    assert token_client(outsider).get("/api/v1/webhooks/").json() == []
    assert token_client(outsider).get(f"/api/v1/webhooks/{sub.pk}/").status_code == 404
    assert token_client(outsider).delete(f"/api/v1/webhooks/{sub.pk}/").status_code == 404
    assert "secret" not in token_client(partner).get(f"/api/v1/webhooks/{sub.pk}/").json()


def test_a_webhook_is_created_through_the_web_forms_rules_and_its_secret_shown_once(
    partner: Any, partner_org: Any
) -> None:
    partner_org.add_member(partner, role="admin")
    client = token_client(partner)
    refused = client.post(
        "/api/v1/webhooks/",
        {"organisation": partner_org.slug, "url": "https://user:pw@hooks.partner.example/x"},
        format="json",
    )
    assert refused.status_code == 400
    assert "url" in refused.json()["error"]["fields"]

    created = client.post(
        "/api/v1/webhooks/",
        {"organisation": partner_org.slug, "url": "https://hooks.partner.example/akrites"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["secret"]
    again = client.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert "secret" not in again


def test_a_webhook_for_someone_elses_organisation_is_refused(
    partner: Any, partner_org: Any, sirt: Any
) -> None:
    partner_org.add_member(partner, role="admin")
    response = token_client(partner).post(
        "/api/v1/webhooks/",
        {"organisation": sirt.slug, "url": "https://hooks.partner.example/akrites"},
        format="json",
    )
    assert response.status_code == 400
    assert "organisation" in response.json()["error"]["fields"]


# --------------------------------------------------------------------------- the journey


def test_a_partner_does_everything_with_only_a_token(
    case: Case, coordinator: Any, partner: Any, partner_org: Any
) -> None:
    """Submit a report, learn it is a duplicate, follow the case, get the
    pre-notification, report deployment."""
    api = token_client(partner)
    # 1. The partner's scanner submits a report of a flaw already under coordination.
    submitted = api.post(
        "/api/v1/reports/",
        {
            "title": case.title + " (found by our scanner)",
            "description": "A crafted input overflows the buffer.",
            "purl": "pkg:pypi/libexample@1.3.0",
            "vers": "vers:pypi/>=1.2|<1.4",
            "cwe": "CWE-122",
            "organisation": partner_org.slug,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="scan-42",
    )
    assert submitted.status_code == 201, submitted.json()
    # 2. "Received", nothing more: whether it is a duplicate is not told at submission.
    assert submitted.json()["status"] == "new" and "coordination" not in submitted.json()
    # The SIRT merges it (the partner is told) and invites the partner organisation.
    from cases.models import Report

    case_services.merge_report_into_case(
        Report.objects.get(pk=submitted.json()["id"]), case, coordinator
    )
    told = api.get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in told] == ["report.duplicate_confirmed"]
    assert told[0]["case"] is None
    case_services.add_participant(
        case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    # 3. The partner follows the case.
    report = api.get(f"/api/v1/reports/{submitted.json()['id']}/").json()
    assert report["status"] == "duplicate" and report["case"] == case.reference
    cases = api.get(f"/api/v1/cases/?updated_since={in_days(-1)}").json()["results"]
    assert [c["reference"] for c in cases] == [case.reference]
    # 4. The pre-notification arrives.
    set_embargo(case, timezone.now() + dt.timedelta(days=30))
    services.save_release_plan(
        case, coordinator, target_at=timezone.now() + dt.timedelta(days=7), expected_version=None
    )
    pn = services.add_pre_notification(case, coordinator, organisation=partner_org)
    services.mark_pre_notification_sent(pn, coordinator)
    release_fix(case, coordinator)  # the fix ships before anyone deploys it
    plan = api.get(f"/api/v1/cases/{case.reference}/release/").json()
    assert plan["pre_notifications"][0]["sent_at"]
    api.post(f"/api/v1/cases/{case.reference}/release/pre-notifications/{pn.pk}/acknowledge/")
    # 5. The partner reports deployment.
    deployed = api.post(
        f"/api/v1/cases/{case.reference}/release/deployment/", {"status": "deployed"}
    )
    assert deployed.status_code == 200 and deployed.json()["status"] == "deployed"
    other_reporter_names = [
        p["name"] for p in api.get(f"/api/v1/cases/{case.reference}/participants/").json()
    ]
    assert "reporter1" not in other_reporter_names  # never who else reported it
