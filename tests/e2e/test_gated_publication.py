"""A gated publication in a real browser (issue 13 §1): the coordinator sees "No-go" and
why, publishing is refused, they override the release gate with a reason and publish;
the override shows on the release panel and in the timeline."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from cases.models import Case
from disclosure.models import AdvisoryState, EmbargoState, PublicationOverride
from tests.disclosure.advisory_factories import approved_advisory, set_embargo
from tests.disclosure.disc_factories import release_fix
from tests.e2e.conftest import assert_accessible, open_details, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Exploited in the wild; the configuration workaround protects users now."


def test_coordinator_overrides_the_release_gate_with_a_reason_and_publishes(
    new_page: Any,
    shot: Any,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    partner_case: Case,
) -> None:
    case = partner_case
    set_embargo(case, timezone.now() - dt.timedelta(minutes=5), EmbargoState.LIFTED)
    release_fix(case, coordinator, status="ready")  # the fix is ready, not released
    advisory = approved_advisory(case, coordinator, second_coordinator)

    page = new_page()
    sign_in(page, second_coordinator)
    page.goto(case.get_absolute_url())
    gate = page.locator("#go-no-go")
    assert gate.get_by_role("heading", name=re.compile("^No-go")).is_visible()
    assert gate.get_by_text("libexample: the fix is ready but not released yet.").is_visible()
    assert "Go: " not in gate.inner_text().replace("No-go", "")
    assert_accessible(page)
    shot(page, "no-go while the fix is only ready")

    # Publishing by hand is refused while the gate holds.
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        re.compile("Publication is blocked until the fix is released")
    ).first.is_visible()
    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.APPROVED

    # A reason overrides the gate (an empty one is refused: test_release_gate.py).
    form = open_details(page.locator("#go-no-go"), "Override the release gate")
    assert_accessible(page)
    form.get_by_label(re.compile("Why may the advisory go public")).fill(REASON)
    form.get_by_role("button", name="Allow publication before the fix is released").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        re.compile("Release gate overridden: the advisory may now be published")
    ).first.is_visible()
    stored = PublicationOverride.objects.get()
    assert stored.reason == REASON and stored.decided_by == second_coordinator
    override = page.locator(".gate-override")
    assert override.get_by_text(REASON).is_visible()
    assert re.search(r"Release gate overridden\s+by coord2", override.inner_text())
    assert_accessible(page)
    shot(page, "override recorded on the release panel")

    page.get_by_role("button", name="Publish now").click()
    page.wait_for_load_state()
    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.PUBLISHED

    page.goto(case.get_absolute_url())
    assert page.locator(".gate-override").get_by_text(REASON).is_visible()
    assert page.get_by_text(
        "Release gate overridden: the advisory may be published before the fix is released"
    ).first.is_visible()
    assert_accessible(page)
    shot(page, "published under the override, on the panel and the timeline")

    # The maintainer sees the same decision, with who and why.
    other = new_page()
    sign_in(other, maintainer)
    other.goto(case.get_absolute_url())
    assert other.locator(".gate-override").get_by_text(REASON).is_visible()
