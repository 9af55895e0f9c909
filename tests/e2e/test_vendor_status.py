"""Vendor status in a real browser: a partner says its product is not affected, with a
VEX justification and a public statement; the coordinator's matrix shows it; once the
advisory is published, the public CSAF file carries it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cases.models import VendorStatus
from tests.disclosure.advisory_factories import published_advisory
from tests.e2e.conftest import assert_accessible, csaf_vendor_status, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_not_affected_statement_reaches_the_published_csaf(
    new_page: Any,
    shot: Any,
    coordinator: Any,
    second_coordinator: Any,
    partner: Any,
    partner_case: Any,
) -> None:
    case = partner_case
    page = new_page()
    sign_in(page, partner)

    page.goto(case.get_absolute_url())
    panel = page.locator("#vendor-status")
    assert panel.get_by_text("No answer").is_visible()
    assert_accessible(page)
    panel.get_by_role("link", name=re.compile("Give the status of Partner Corp")).click()

    page.get_by_label("Not affected", exact=True).check()
    page.get_by_role("button", name="Save status").click()
    # Not affected needs a justification: the form says so and keeps the choice.
    assert page.get_by_text("Say why the product is not affected").is_visible()
    assert page.get_by_label("Not affected", exact=True).is_checked()
    assert_accessible(page)
    page.get_by_label(re.compile("Justification")).select_option(
        "vulnerable_code_not_in_execute_path"
    )
    page.get_by_label("Product", exact=True).fill("Edge Gateway")
    page.get_by_label("Statement", exact=True).fill(
        "The gateway never calls the vulnerable parser."
    )
    page.get_by_label("Publish this status and statement in the advisory").check()
    shot(page, "vendor status form")
    page.get_by_role("button", name="Save status").click()

    assert page.get_by_text(
        "The status of Partner Corp on this vulnerability was saved."
    ).is_visible()
    row = VendorStatus.objects.get(vulnerability__case=case)
    assert (row.status, row.justification, row.public) == (
        "not_affected",
        "vulnerable_code_not_in_execute_path",
        True,
    )

    coordinator_page = new_page()
    sign_in(coordinator_page, coordinator)
    coordinator_page.goto(case.get_absolute_url())
    matrix = coordinator_page.locator("#vendor-status")
    assert matrix.get_by_text("Vulnerable code not in execute path").is_visible()
    assert matrix.get_by_role("button", name="Remind libexample maintainers").is_visible()
    shot(coordinator_page, "vendor status matrix")

    advisory = published_advisory(case, coordinator, second_coordinator)
    anonymous = new_page()
    response = anonymous.request.get(f"/advisories/{advisory.identifier}/csaf.json")
    assert response.status == 200
    not_affected, notes, flags = csaf_vendor_status(response.json())
    assert flags == ["vulnerable_code_not_in_execute_path"]
    assert "Partner Corp Edge Gateway" in not_affected
    assert "never calls the vulnerable parser" in notes["Vendor statement: Partner Corp"]
