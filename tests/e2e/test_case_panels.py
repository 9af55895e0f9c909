"""The case page's panels collapse, by mouse or keyboard, and stay collapsed for the
same user on the next visit (localStorage, per user and panel); the page stays
accessible; a partner's acknowledgement button says what it acknowledges."""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import Case
from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_collapsed_panel_is_remembered_and_the_toggle_works_by_keyboard(
    new_page: Any, shot: Any, partner_case: Case, partner: Any
) -> None:
    page = new_page()
    sign_in(page, partner)
    page.goto(partner_case.get_absolute_url())
    assert page.get_by_role("button", name="Acknowledge the case invitation").is_visible()
    assert page.get_by_text("This is the case invitation only").is_visible()

    timeline = page.locator("section[aria-labelledby='timeline-heading']")
    toggle = timeline.get_by_role("button", name="Collapse")
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert timeline.locator(".panel-body").is_hidden()
    assert_accessible(page)
    shot(page, "timeline collapsed")

    page.reload()
    timeline = page.locator("section[aria-labelledby='timeline-heading']")
    toggle = timeline.locator("button.panel-toggle")
    assert toggle.inner_text() == "Expand"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert timeline.locator(".panel-body").is_hidden()
    # Other panels were left open.
    summary = page.locator("section[aria-labelledby='summary-heading'] .panel-body")
    assert summary.is_visible()

    toggle.focus()
    page.keyboard.press("Enter")
    assert timeline.locator(".panel-body").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
