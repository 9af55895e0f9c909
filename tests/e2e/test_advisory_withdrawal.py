"""Withdrawing a published advisory in a real browser: a coordinator asks with a public
reason, a second coordinator approves and publishes it, and the public page and the
OSV, CVE and CSAF downloads all say so."""

from __future__ import annotations

from typing import Any

import pytest

from disclosure.models import Advisory
from tests.disclosure.advisory_factories import enrich_case, published_advisory
from tests.e2e.conftest import BLOCKING, assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Not a vulnerability: the parser is never reached with untrusted input."


def assert_panel_accessible(page: Any) -> None:
    """axe-core on the advisory panel of the case page (the rest of that page has its
    own browser tests), serious and critical violations only, as ``assert_accessible``."""
    result = page.evaluate(
        """async () => await axe.run("#advisory", {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    problems = [v["id"] for v in result["violations"] if v.get("impact") in BLOCKING]
    assert not problems, problems


def test_a_second_coordinator_approves_the_withdrawal_and_every_format_says_so(
    new_page: Any,
    shot: Any,
    coordinator: Any,
    second_coordinator: Any,
    case: Any,
    project: Any,
    other_project: Any,
) -> None:
    enrich_case(case, coordinator, project, other_project)
    advisory = published_advisory(case, coordinator, second_coordinator)

    # The first coordinator asks for the withdrawal, with the reason the public reads.
    page = new_page()
    sign_in(page, coordinator)
    page.goto(case.get_absolute_url())
    panel = page.locator("#advisory")
    panel.get_by_label("Withdraw the publication").fill(REASON)
    panel.get_by_role("button", name="Request withdrawal").click()
    assert page.get_by_text("Withdrawal submitted for review").is_visible()
    panel = page.locator("#advisory")
    assert panel.get_by_text("must approve").is_visible()
    assert panel.get_by_role("button", name="Approve").count() == 0
    assert_panel_accessible(page)
    shot(page, "withdrawal requested")

    # Nothing is public yet.
    public = new_page()
    public.goto(advisory.get_absolute_url())
    assert public.locator("#withdrawn").count() == 0

    # A second coordinator approves it, then publishes it.
    reviewer = new_page()
    sign_in(reviewer, second_coordinator)
    reviewer.goto(case.get_absolute_url())
    reviewer.locator("#advisory").get_by_role("button", name="Approve").click()
    assert reviewer.get_by_text("Approved.", exact=True).is_visible()
    reviewer.locator("#advisory").get_by_role("button", name="Publish the withdrawal").click()
    assert reviewer.get_by_text("Published.", exact=True).is_visible()
    assert reviewer.locator("#advisory").get_by_text("Withdrawn").first.is_visible()
    shot(reviewer, "withdrawal published")

    # The public page says it, and so does every file it links to.
    public.goto(advisory.get_absolute_url())
    notice = public.locator("#withdrawn")
    assert notice.is_visible()
    assert REASON in notice.inner_text()
    assert_accessible(public)
    shot(public, "public page withdrawn")

    files = public.get_by_role("region", name="Machine-readable")
    csaf_href = files.get_by_role("link", name="CSAF 2.0").get_attribute("href")
    osv_href = files.get_by_role("link", name="OSV").first.get_attribute("href")
    cve_href = files.get_by_role("link", name="CVE record").first.get_attribute("href")

    csaf_doc = public.request.get(csaf_href).json()
    notes = csaf_doc["document"]["notes"]
    assert notes[0]["title"] == "Reasoning for Withdrawal" and REASON in notes[0]["text"]
    assert csaf_doc["document"]["tracking"]["version"] == "2"

    osv_record = public.request.get(osv_href).json()
    assert osv_record["withdrawn"] == osv_record["modified"]

    cve_record = public.request.get(cve_href).json()
    assert cve_record["cveMetadata"]["state"] == "REJECTED"
    assert cve_record["containers"]["cna"]["rejectedReasons"][0]["value"] == REASON

    assert Advisory.objects.get(pk=advisory.pk).is_withdrawn
