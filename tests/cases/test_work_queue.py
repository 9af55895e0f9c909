"""The coordinator's work queue on the SIRT dashboard (``cases.dashboard.work_queue``):
each section, its links to the exact place to act, empty states, bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import dashboard, services
from cases.models import Case
from disclosure.models import Advisory
from disclosure.notifications.models import Channel, Notification, Status
from disclosure.services import embargo as embargo_services
from tests.cases.helpers import count_queries
from tests.factories import make_case, make_report, make_user

pytestmark = pytest.mark.django_db
HOME = reverse("cases:home")


def _sections(user: Any) -> dict[str, dashboard.QueueSection]:
    return {s.key: s for s in dashboard.work_queue(user)}


def _in_review(case: Case, author: Any) -> Advisory:
    advisory = Advisory.create_for_case(case, author)
    advisory = advisory.edit(
        author,
        expected_version=advisory.version,
        title=f"Flaw in {case.reference}",
        summary="Update.",
        details="",
        workarounds="",
        references="",
    )
    return advisory.submit(author)


def _failed(case: Case, recipient: Any, n: int) -> Notification:
    return Notification.objects.create(
        kind="case.state_changed",
        key=f"failed-{n}",
        subject=f"case:{case.pk}",
        due_at=timezone.now(),
        case=case,
        recipient=recipient,
        channel=Channel.EMAIL,
        status=Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected",
    )


def _fill(coordinator: Any, other: Any, maintainer: Any, case: Case, n: int) -> None:
    """``n`` rows for every section: reports, advisories, proposals, failures, vendors."""
    for i in range(n):
        make_report(make_user(), title=f"Waiting report {i}")
        target = case if i == 0 else make_case(coordinator)
        if i:
            services.add_participant(
                target,
                coordinator,
                organisation=maintainer.memberships.get().organisation,  # the case's vendor
                role="maintainer",
                notify=False,
            )
        _in_review(target, other)
        embargo_services.propose_date(
            target,
            coordinator,
            public_at=timezone.now() + dt.timedelta(days=30 + i),
            reason="the usual 90 days",
        )
        _failed(target, maintainer, i)


def test_coordinator_sees_every_section_with_links_to_where_to_act(
    coordinator: Any, second_coordinator: Any, maintainer: Any, case: Case
) -> None:
    _fill(coordinator, second_coordinator, maintainer, case, 1)
    sections = _sections(coordinator)
    assert list(sections) == [
        "triage",
        "vendor_status",
        "advisory_review",
        "embargo_proposals",
        "failed_notifications",
    ]
    report = sections["triage"].items[0]
    assert report.label.endswith("Waiting report 0") and report.url.startswith("/reports/")
    assert sections["vendor_status"].items[0].url == case.get_absolute_url() + "#vendor-status"
    assert sections["advisory_review"].items[0].url == case.get_absolute_url() + "#advisory"
    assert "submitted by" in sections["advisory_review"].items[0].detail
    proposal = sections["embargo_proposals"].items[0]
    assert proposal.url == case.get_absolute_url() + "#embargo"
    assert "0 agree, 0 object" in proposal.detail
    failed = sections["failed_notifications"].items[0]
    assert failed.url.startswith(reverse("notifications:failures") + "#failure-")
    body = _page(coordinator)
    for section in sections.values():
        for item in section.items:
            assert f'href="{item.url}"' in body


def _page(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(HOME).content.decode()


def test_an_advisory_is_in_the_review_queue_of_the_other_coordinators_only(
    coordinator: Any, second_coordinator: Any, case: Case
) -> None:
    _in_review(case, second_coordinator)
    assert _sections(coordinator)["advisory_review"].count == 1
    assert _sections(second_coordinator)["advisory_review"].count == 0


def test_reports_are_oldest_first_and_marked_past_the_first_response_target(
    coordinator: Any, settings: Any
) -> None:
    settings.TRIAGE_FIRST_RESPONSE_HOURS = 48
    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=False):
        old = make_report(make_user(), title="Old one")
    new = make_report(make_user(), title="New one")
    items = _sections(coordinator)["triage"].items
    assert [i.url for i in items] == [old.get_absolute_url(), new.get_absolute_url()]
    assert items[0].late and "past the first-response target" in items[0].detail
    assert not items[1].late


def test_empty_queue_says_so(coordinator: Any) -> None:
    sections = _sections(coordinator)
    assert all(s.count == 0 and not s.items for s in sections.values())
    body = _page(coordinator)
    for text in (
        "No report is waiting for triage.",
        "Every vendor has given a status.",
        "No advisory waits for your review.",
        "No date proposal waits for a decision.",
        "Every notification was delivered.",
    ):
        assert text in body


def test_nobody_but_the_sirt_has_a_work_queue(
    maintainer: Any, partner: Any, case: Case, coordinator: Any
) -> None:
    _failed(case, maintainer, 1)
    assert dashboard.work_queue(maintainer) == []
    assert dashboard.work_queue(partner) == []
    assert 'id="work-queue"' not in _page(maintainer)


def test_the_queue_costs_the_same_queries_for_one_row_or_many(
    client_for: Any,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    case: Case,
) -> None:
    _fill(coordinator, second_coordinator, maintainer, case, 1)
    client = client_for(coordinator)
    client.get(HOME)
    one, _ = count_queries(client, HOME)
    _fill(coordinator, second_coordinator, maintainer, make_case(coordinator), 6)
    many, response = count_queries(client, HOME)
    assert many == one
    sections = {s.key: s for s in response.context["work_queue"]}
    assert all(len(s.items) == 5 for s in sections.values())
    assert all(s.more == s.count - 5 > 0 for s in sections.values())
