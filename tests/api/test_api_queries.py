"""Each list costs the same number of queries however many rows it shows (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case, CommentVisibility, Organisation, ParticipantRole
from tests.api.conftest import token_client
from tests.factories import make_case, make_organisation, make_report, make_user

pytestmark = pytest.mark.django_db


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def assert_constant(client: Any, url: str, grow: Callable[[], None]) -> None:
    grow()
    small = queries_for(client, url)
    for _ in range(4):
        grow()
    large = queries_for(client, url)
    assert large == small, f"{url}: {small} queries for a few rows, {large} for more"


@pytest.mark.parametrize("who", ["coordinator", "partner"])
def test_case_list_queries_do_not_grow_with_the_page(
    request: pytest.FixtureRequest, coordinator: Any, partner_org: Any, project: Any, who: str
) -> None:
    user = request.getfixturevalue(who)

    def grow() -> None:
        case = make_case(coordinator, project=project)
        services.add_participant(
            case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
        )

    assert_constant(token_client(user), "/api/v1/cases/", grow)


def test_report_list_queries_do_not_grow(partner: Any, coordinator: Any, project: Any) -> None:
    def grow() -> None:
        case = make_case(coordinator, project=project, reporter=partner)
        make_report(partner, title=f"Another {case.pk}")

    assert_constant(token_client(partner), "/api/v1/reports/", grow)
    assert_constant(token_client(coordinator), "/api/v1/reports/", lambda: None)


def test_case_children_queries_do_not_grow(partner_case: Case, coordinator: Any) -> None:
    ref = partner_case.reference

    def grow() -> None:
        services.post_comment(partner_case, coordinator, "More news")
        services.post_comment(
            partner_case, coordinator, "Internal", visibility=CommentVisibility.COORDINATORS
        )
        services.add_participant(
            partner_case,
            coordinator,
            organisation=make_organisation(Organisation.Kind.DOWNSTREAM),
            role=ParticipantRole.DOWNSTREAM,
            notify=False,
        )
        services.save_vulnerability(
            partner_case,
            coordinator,
            title="Another flaw",
            cwe="CWE-79",
            affected=[{"purl": "pkg:pypi/libexample", "vers": "vers:pypi/<2.0"}],
        )
        services.merge_report_into_case(make_report(make_user()), partner_case, coordinator)

    client = token_client(coordinator)
    for child in ["comments/", "participants/", "vulnerabilities/"]:
        assert_constant(client, f"/api/v1/cases/{ref}/{child}", grow)


def test_disclosure_resources_queries_do_not_grow(partner_case: Case, coordinator: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from disclosure import services as disclosure
    from disclosure.models import EmbargoPolicy
    from disclosure.notifications.models import Channel, Notification

    ref = partner_case.reference
    disclosure.start_clock(
        partner_case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_by="Report received",
    )
    disclosure.save_release_plan(
        partner_case,
        coordinator,
        target_at=timezone.now() + dt.timedelta(days=20),
        expected_version=None,
    )
    counter = iter(range(1, 1000))

    def grow() -> None:
        n = next(counter)
        org = make_organisation(Organisation.Kind.DOWNSTREAM)
        services.add_participant(
            partner_case,
            coordinator,
            organisation=org,
            role=ParticipantRole.DOWNSTREAM,
            notify=False,
        )
        disclosure.add_pre_notification(partner_case, coordinator, organisation=org)
        disclosure.report_deployment(
            partner_case, coordinator, organisation=org, status="in_progress"
        )
        disclosure.propose_date(
            partner_case,
            coordinator,
            public_at=timezone.now() + dt.timedelta(days=30 + n),
            reason=f"Proposal {n}",
        )
        Notification.objects.create(
            kind="comment.posted",
            key="comment.posted",
            subject=f"comment:{n}",
            due_at=timezone.now(),
            case=partner_case,
            recipient=coordinator,
            channel=Channel.IN_APP,
        )

    client = token_client(coordinator)
    for url in [f"/api/v1/cases/{ref}/embargo/", f"/api/v1/cases/{ref}/release/"]:
        assert_constant(client, url, grow)
    assert_constant(client, "/api/v1/notifications/", grow)
