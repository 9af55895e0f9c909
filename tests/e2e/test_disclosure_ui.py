"""The embargo and release panels in a real browser: a date proposal accepted with an
override, a deployment report; every page passes axe-core without serious violations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from disclosure import services
from disclosure.models import Embargo, EmbargoPolicy, ProposalState
from tests.disclosure.disc_factories import release_fix
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _distros_policy() -> EmbargoPolicy:
    # Transactional tests cannot rely on rows seeded by migrations (a flush removes them).
    policy, _ = EmbargoPolicy.objects.get_or_create(
        code="distros",
        defaults={
            "name": "linux-distros list",
            "clock_start": "first_notification",
            "default_days": 14,
            "max_days": 14,
        },
    )
    return policy


def test_coordinator_accepts_a_late_date_only_with_an_override(
    new_page: Any, shot: Any, coordinator: Any, maintainer: Any, partner_case: Any
) -> None:
    case = partner_case
    services.start_clock(case, coordinator, policy=_distros_policy(), started_by="Distros post")
    late = (timezone.now() + dt.timedelta(days=20)).replace(second=0, microsecond=0)
    proposal = services.propose_date(case, maintainer, public_at=late, reason="QA needs time")
    page = new_page()
    sign_in(page, coordinator)

    page.goto(case.get_absolute_url())
    panel = page.locator("#embargo")
    assert panel.get_by_text("beyond a policy maximum").is_visible()
    assert_accessible(page)
    panel.get_by_role("button", name="Accept").click()
    assert page.get_by_text("Tick override and give a reason").is_visible()
    assert_accessible(page)

    page.go_back()
    panel = page.locator("#embargo")
    panel.get_by_label("Override the policy maximum").check()
    panel.get_by_label("Reason for the override").fill("The distros list agreed")
    panel.get_by_role("button", name="Accept").click()

    assert page.get_by_text("Proposal accepted: the public date has changed.").is_visible()
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.override
    assert Embargo.objects.get(case=case).public_at == late
    shot(page, "embargo accepted with override")


def test_partner_reports_deployment_from_the_release_panel(
    new_page: Any, shot: Any, coordinator: Any, partner: Any, partner_case: Any
) -> None:
    case = partner_case
    services.save_release_plan(
        case, coordinator, target_at=timezone.now() + dt.timedelta(days=7), expected_version=None
    )
    page = new_page()
    sign_in(page, partner)

    page.goto(case.get_absolute_url())
    release = page.locator("#release")
    assert release.get_by_role("heading", name=re.compile("^No-go")).is_visible()
    # "Deployed" waits for the release: a clear error next to the field.
    release.get_by_text("Report your deployment").click()
    release.get_by_label("Status").select_option(label="Deployed")
    release.get_by_role("button", name="Report").click()
    assert page.get_by_text(re.compile("once the fix is released")).first.is_visible()
    assert_accessible(page)

    release_fix(case, coordinator)
    page.goto(case.get_absolute_url())
    release = page.locator("#release")
    # Open once the fix is released (the panel opens it for deployers then).
    assert release.locator("details[open]", has_text="Report your deployment").is_visible()
    release.get_by_label("Status").select_option(label="Deployed")
    release.get_by_role("button", name="Report").click()

    assert page.get_by_text("Deployment status recorded").is_visible()
    assert page.locator("#release").get_by_text("1 of 1 organisation deployed").is_visible()
    assert_accessible(page)
    shot(page, "deployment reported")
