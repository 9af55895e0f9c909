"""The main journey (issues 7, 13 and 15) in a real browser, from an anonymous report
through the public page to the public advisory and its CSAF file, against
``live_server`` on PostgreSQL: a partner's duplicate merged after confirmation, the
release gate saying No-go until the fix is released, a partner's vendor status
("not affected") that the published CSAF carries, and a second coordinator's review.

Each step asserts what the person sees and saves a screenshot under tests/artifacts/;
the main pages pass axe-core (no serious or critical violations). The embargo lifts
by time travel: ``live_server`` runs in a thread of this process, so time-machine
moves its clock too, and the scheduled lift and publication run as the task queue
would run them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from cases.models import Case, Organisation, Report
from cases.tokens import create_token
from tests.e2e.conftest import (
    assert_accessible,
    confirmation_path,
    csaf_vendor_status,
    give_not_affected_status,
    open_details,
    sign_in,
)
from tests.factories import make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLAW = {
    "title": "Heap overflow in libexample's chunked decoder",
    "description": (
        "A chunk length above 2^31 wraps in `decode_chunk()` and the copy overflows the "
        "heap buffer. Reproducer: `printf '80000000\\r\\n' | libexample-decode`."
    ),
    "purl": "pkg:pypi/libexample@1.2.0",
    "vers": "vers:pypi/>=1.0|<1.4.2",
    "cwe": "CWE-787",
    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
}
SAME_FLAW = {
    **FLAW,
    "title": "libexample chunked decoder: heap overflow with large chunk length",
    "description": "Our scanner found an integer wrap in decode_chunk leading to a heap overflow.",
    "purl": "pkg:pypi/libexample@1.3.1",
}


STATEMENT = "The gateway never calls the vulnerable chunked decoder."


def api_client(playwright: Any, base_url: str, user: Any) -> Any:
    """A partner's program: an API token from the profile, then plain HTTP."""
    _, secret = create_token(user, name="scanner", days=30)
    return playwright.request.new_context(
        base_url=base_url,
        extra_http_headers={"Authorization": f"Token {secret}", "Accept": "application/json"},
    )


def submit(api: Any, finding: dict[str, str]) -> dict[str, Any]:
    response = api.post(
        "/api/v1/reports/",
        data=json.dumps(finding),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201, response.text()
    return response.json()


def expect_message(page: Any, text: str | re.Pattern[str]) -> None:
    assert page.get_by_text(text).first.is_visible(), f"no message {text!r} on {page.url}"


def report_anonymously(page: Any, address: str, finding: dict[str, str]) -> None:
    """The public "Report a vulnerability" page, reached from the sign-in page."""
    page.goto("/login/")
    page.get_by_role("main").get_by_role("link", name="Report a vulnerability").click()
    page.wait_for_load_state()
    assert page.url.endswith("/report/")
    page.get_by_label("Your e-mail address").fill(address)
    page.get_by_label("Title").fill(finding["title"])
    page.get_by_label("Description").fill(finding["description"])
    page.get_by_label("Package (purl)").fill(finding["purl"])
    page.get_by_label("Affected versions (vers)").fill(finding["vers"])
    page.get_by_label("CWE").fill(finding["cwe"])
    page.get_by_label("CVSS vector").fill(finding["cvss_vector"])
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()


def test_an_anonymous_report_ends_as_a_public_advisory_with_a_vendor_status(
    playwright_instance: Any,
    live_server: Any,
    new_page: Any,
    shot: Any,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    maintainer_org: Organisation,
    project: Any,
    partner: Any,
    partner_org: Organisation,
) -> None:
    cache.clear()  # the public page's throttles count in the cache
    scanner_org = make_organisation(Organisation.Kind.PARTNER, name="Scanner Inc")
    partner2 = make_user("partner2", organisation=scanner_org)

    # -- 1. Someone without an account reports through the public page and confirms
    #       the address with the link the e-mail brings; the report enters triage.
    finder = new_page()
    report_anonymously(finder, "finder@example.net", FLAW)
    assert not Report.objects.exists()  # held until the address is confirmed
    assert_accessible(finder)
    shot(finder, "anonymous report sent, check your e-mail")
    finder.goto(confirmation_path("finder@example.net"))
    assert finder.get_by_role("heading", name="Confirm your report").is_visible()
    finder.get_by_label("Username").fill("finder")
    finder.get_by_label("Password", exact=True).fill("a-long-passphrase-42")
    finder.get_by_label("Password again").fill("a-long-passphrase-42")
    finder.get_by_role("button", name="Confirm the report").click()
    finder.wait_for_load_state()
    first = Report.objects.get()
    assert finder.get_by_text(f"report #{first.pk} was received").is_visible()
    assert first.reporter.username == "finder"
    shot(finder, "the reporter confirmed and follows the report")

    # A partner's scanner submits the same flaw through the API.
    second = submit(api_client(playwright_instance, live_server.url, partner2), SAME_FLAW)
    assert second["status"] == "new"
    # The partner learns nothing about the other report.
    assert "finder" not in json.dumps(second)

    # -- 2. The coordinator signs in (second factor), sees both in triage.
    coord = new_page()
    sign_in(coord, coordinator)
    coord.goto("/")
    assert coord.get_by_role("heading", name="Coordinator dashboard").is_visible()
    assert coord.get_by_text(FLAW["title"]).first.is_visible()
    assert coord.get_by_text(SAME_FLAW["title"]).first.is_visible()
    assert_accessible(coord)
    shot(coord, "coordinator dashboard with two reports in triage")

    # The anonymous report: its duplicate is listed; it becomes a case of libexample.
    coord.goto(f"/reports/{first.pk}/")
    candidates = coord.locator("#dup-heading").locator("..")
    assert candidates.get_by_text(SAME_FLAW["title"]).is_visible()
    assert_accessible(coord)
    shot(coord, "triage of the anonymous report, its duplicate listed")
    coord.get_by_label("libexample").check()
    coord.get_by_role("button", name="Open case").click()
    coord.wait_for_load_state()
    case = Case.objects.get(reports__pk=first.pk)
    assert case.reference in coord.locator("h1").inner_text()

    # The partner's report: merged into that case after a confirmation step.
    coord.goto(f"/reports/{second['id']}/")
    coord.get_by_role("button", name=f"Merge into {case.reference}").click()
    coord.wait_for_load_state()
    assert coord.get_by_text("What the merge does").is_visible()
    assert Report.objects.get(pk=second["id"]).case_id is None  # not yet
    coord.get_by_role("button", name=f"Merge into {case.reference}").click()
    coord.wait_for_load_state()
    assert Report.objects.get(pk=second["id"]).case_id == case.pk
    shot(coord, "the duplicate merged")

    # Invite the libexample maintainers and the partner's organisation.
    for org, role in ((maintainer_org, "Maintainer"), (partner_org, "Partner")):
        coord.goto(f"/cases/{case.reference}/participants/add/")
        coord.get_by_label("Organisation").select_option(label=org.name)
        coord.get_by_label("Role").select_option(label=role)
        coord.get_by_role("button", name="Add participant").click()
        coord.wait_for_load_state()
    coord.goto(case.get_absolute_url())
    participants = coord.locator("section", has=coord.get_by_role("heading", name="Participants"))
    assert participants.get_by_text(maintainer_org.name).first.is_visible()
    assert participants.get_by_text(partner_org.name).first.is_visible()
    assert_accessible(coord)
    shot(coord, "case page with maintainers and partner invited")

    # Before anything is public, an anonymous visitor learns nothing of the case.
    anonymous = new_page()
    anonymous.goto(case.get_absolute_url())
    assert "/login/" in anonymous.url
    anonymous.goto("/advisories/")
    assert FLAW["title"] not in anonymous.content()

    # -- 3. The maintainer acknowledges the invitation and proposes a public date.
    maint = new_page()
    sign_in(maint, maintainer)
    maint.goto("/")
    assert maint.get_by_text(case.reference).first.is_visible()
    shot(maint, "maintainer inbox")
    maint.goto(case.get_absolute_url())
    maint.get_by_role("button", name="Acknowledge the case invitation").click()
    maint.wait_for_load_state()
    assert case.participants.get(organisation=maintainer_org).acknowledged_at is not None
    public_at = (timezone.now() + dt.timedelta(days=10)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    open_details(maint.locator("#embargo"), "Propose a public date")
    maint.get_by_label(re.compile("Proposed public date")).fill(
        public_at.strftime("%Y-%m-%dT%H:%M")
    )
    maint.get_by_label("Reason").fill("The fix ships in 1.4.2; distributions need a week.")
    maint.get_by_role("button", name="Propose").click()
    maint.wait_for_load_state()
    assert_accessible(maint)
    shot(maint, "maintainer proposed a public date")

    # The coordinator accepts the proposal: it becomes the embargo's public date.
    coord.goto(case.get_absolute_url())
    coord.locator("#embargo").get_by_role("button", name="Accept").click()
    coord.wait_for_load_state()
    case.refresh_from_db()
    assert case.embargo.public_at == public_at
    # ... and plans the coordinated release the day before.
    plan = open_details(coord.locator("#release"), "Plan the release")
    target = public_at - dt.timedelta(days=1)
    plan.get_by_label(re.compile("Target release time")).fill(target.strftime("%Y-%m-%dT%H:%M"))
    plan.get_by_role("button", name="Save plan").click()
    coord.wait_for_load_state()
    # Nothing is released yet: the release gate says No-go, and why.
    coord.goto(case.get_absolute_url())
    gate = coord.locator("#go-no-go")
    assert gate.get_by_role("heading", name=re.compile("^No-go")).is_visible()
    shot(coord, "coordinator accepted the date and planned the release, no-go")

    # -- 4. The partner acknowledges and says its product is not affected.
    part = new_page()
    sign_in(part, partner)
    part.goto(case.get_absolute_url())
    part.get_by_role("button", name="Acknowledge the case invitation").click()
    part.wait_for_load_state()
    assert part.locator("#vendor-status").get_by_text("No answer").first.is_visible()
    give_not_affected_status(
        part,
        partner_org.name,
        product="Edge Gateway",
        statement=STATEMENT,
        justification="vulnerable_code_not_in_execute_path",
    )
    shot(part, "partner gave its vendor status")
    coord.goto(case.get_absolute_url())
    matrix = coord.locator("#vendor-status")
    assert matrix.get_by_text("Vulnerable code not in execute path").is_visible()
    assert_accessible(coord)
    shot(coord, "vendor status matrix")

    # -- 5. The maintainer records the fix and the release; a CVE id is assigned.
    maint.goto(case.get_absolute_url())
    update = open_details(maint.locator("#release"), "Update libexample")
    update.get_by_label("Fixed version").fill("1.4.2")
    update.get_by_label(re.compile("Fix commit")).fill(
        "https://git.example.org/libexample/commit/5f1e2d"
    )
    update.get_by_label("Status").select_option(label="Released")
    update.get_by_role("button", name="Save").click()
    maint.wait_for_load_state()
    assert maint.locator("#release").get_by_text("1.4.2").first.is_visible()
    assert maint.locator("#go-no-go").get_by_role("heading", name=re.compile("^Go")).is_visible()
    vulnerability = case.vulnerabilities.get()
    maint.goto(f"/cases/{case.reference}/vulnerabilities/{vulnerability.pk}/edit/")
    maint.get_by_label("CVE id").fill("CVE-2026-31337")
    # The fixed version recorded on the release plan is the vulnerability's own.
    assert maint.get_by_label("Fixed in").first.input_value() == "1.4.2"
    maint.get_by_label("Affected versions (vers)").first.fill("vers:pypi/>=1.0|<1.4.2")
    maint.get_by_role("button", name=re.compile("Save")).click()
    maint.wait_for_load_state()
    vulnerability.refresh_from_db()
    assert vulnerability.cve_id == "CVE-2026-31337"
    assert vulnerability.affected.get().fixed_versions == ["1.4.2"]
    shot(maint, "fix and release recorded")

    # The partner reports that its fleet runs the fixed version.
    part.goto(case.get_absolute_url())
    deployment = open_details(part.locator("#release"), "Report your deployment")
    deployment.get_by_label("Status").select_option(label="Deployed")
    deployment.get_by_role("button", name="Report").click()
    part.wait_for_load_state()
    assert case.deployment_reports.get(organisation=partner_org).status == "deployed"
    shot(part, "partner reported deployment")

    # -- 6. The advisory: drafted by the coordinator, approved by a second one.
    coord.goto(case.get_absolute_url())
    coord.get_by_role("button", name="Start the advisory").click()
    coord.wait_for_load_state()
    # The draft copies nothing internal: the coordinator writes the summary, previews
    # the public page from the unsaved form, then saves.
    coord.get_by_label("Summary").fill("Update libexample to the fixed release.")
    coord.get_by_role("button", name="Preview").click()
    coord.wait_for_load_state()
    assert coord.get_by_text("Preview of the public page (not saved)").is_visible()
    coord.get_by_role("button", name="Save draft").click()
    coord.wait_for_load_state()
    coord.goto(case.get_absolute_url())
    coord.get_by_role("button", name="Submit for review").click()
    coord.wait_for_load_state()
    reviewer = new_page()
    sign_in(reviewer, second_coordinator)
    reviewer.goto(case.get_absolute_url())
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.wait_for_load_state()
    reviewer.get_by_role("button", name=re.compile("Schedule")).click()
    reviewer.wait_for_load_state()
    advisory = case.advisory
    advisory.refresh_from_db()
    assert advisory.state == "scheduled"
    shot(reviewer, "second coordinator approved and scheduled the advisory")

    # Until the embargo lifts, the advisory does not exist for the public.
    anonymous.goto("/advisories/")
    assert FLAW["title"] not in anonymous.content()
    assert anonymous.goto(f"/advisories/{advisory.identifier}/").status == 404

    # The public date passes: the queue lifts the embargo and publishes.
    with time_machine.travel(public_at + dt.timedelta(minutes=5), tick=True):
        from disclosure.advisories.publication import publish_due_advisories
        from disclosure.services import lift_due_embargoes

        assert lift_due_embargoes() == 1
        assert publish_due_advisories() == [advisory.pk]
        advisory.refresh_from_db()

        anonymous.goto("/advisories/")
        anonymous.get_by_role("link", name=re.compile(re.escape(advisory.identifier))).first.click()
        anonymous.wait_for_load_state()
        assert anonymous.get_by_role("heading", level=1).inner_text()
        assert anonymous.get_by_text("CVE-2026-31337").first.is_visible()
        assert anonymous.get_by_role("cell", name="1.4.2").first.is_visible()  # fixed in
        # Both reporters are credited (each agreed when reporting), nobody else.
        credits = anonymous.get_by_text(re.compile("Credits")).first.inner_text()
        assert re.search(r"\bfinder \(finder\)", credits), credits
        assert "partner2 (finder)" in credits
        for name in ("CSAF", "OSV", "CVE"):
            assert anonymous.get_by_role("link", name=re.compile(name)).first.is_visible()
        assert_accessible(anonymous)
        shot(anonymous, "public advisory page")

        # -- 7. The published CSAF carries the partner's vendor status.
        csaf = anonymous.request.get(f"/advisories/{advisory.identifier}/csaf.json")
        assert csaf.status == 200
        document = csaf.json()
        assert document["document"]["category"] == "csaf_security_advisory"
        not_affected, notes, flags = csaf_vendor_status(document)
        assert f"{partner_org.name} Edge Gateway" in not_affected
        assert STATEMENT in notes[f"Vendor statement: {partner_org.name}"]
        assert "vulnerable_code_not_in_execute_path" in flags


def test_a_partner_uploads_a_sarif_log_and_the_coordinator_triages_its_findings(
    tmp_path: Any,
    settings: Any,
    new_page: Any,
    shot: Any,
    coordinator: Any,
    partner: Any,
    partner_org: Organisation,
) -> None:
    """Issue 12 in the browser: a scanner's log through the intake page, its per-finding
    results and progress, a resubmission that stores nothing twice, then triage."""
    from cases import tasks
    from cases.models import ReportBatch
    from tests import sarif_logs

    # Two findings and one result that is no finding (a rule that passed).
    log = sarif_logs.log(
        [
            sarif_logs.result(0),
            sarif_logs.result(1),
            sarif_logs.result(2, kind="pass", level="none"),
        ]
    )
    path = tmp_path / "codeql.sarif"
    path.write_text(json.dumps(log))
    titles = [f"py/sql-injection: {r['message']['text']}" for r in log["runs"][0]["results"][:2]]
    # A batch larger than this goes to the task cluster, which the test runs by hand.
    settings.REPORT_BATCH_INLINE_MAX = 2

    # -- 1. The partner follows the intake page to the SARIF upload.
    part = new_page()
    sign_in(part, partner)
    nav = part.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Report a vulnerability").click()
    part.wait_for_load_state()
    part.get_by_role("link", name="Upload a SARIF log").click()
    part.wait_for_load_state()
    assert part.get_by_role("heading", name="Upload a SARIF log").is_visible()
    assert_accessible(part)
    part.get_by_label("SARIF log").set_input_files(str(path))
    part.get_by_label("Organisation").select_option(label=partner_org.name)
    part.get_by_role("button", name="Upload and submit").click()
    part.wait_for_load_state()

    # -- 2. Queued: the page shows its progress and reloads itself until the batch is done.
    batch = ReportBatch.objects.get()
    assert part.url.endswith(batch.get_absolute_url())
    progress = part.locator("#batch-progress")
    assert progress.get_attribute("max") == "3" and progress.get_attribute("value") == "0"
    assert part.get_by_text("0 of 3 findings processed").is_visible()
    assert_accessible(part)
    shot(part, "sarif batch queued")
    tasks.process_report_batch(batch.pk)  # as the task cluster would
    # The count may reach 3 one poll before the status says done: wait for "Done".
    part.get_by_role("heading", name="Done", exact=True).wait_for(timeout=15_000)
    assert part.locator("#batch-progress").get_attribute("value") == "3"
    assert part.get_by_text("3 of 3 findings processed").is_visible()
    for count in ("2 created", "0 already submitted", "1 rejected"):
        assert part.get_by_text(count).is_visible()
    rows = part.get_by_role("row")
    for title in titles:
        assert rows.filter(has_text=title).get_by_text("Created").is_visible()
    assert part.get_by_text("A result of kind 'pass' is not a finding.").is_visible()
    assert part.get_by_text("Likely duplicates").count() == 0  # the SIRT's only
    assert_accessible(part)
    shot(part, "sarif batch results")

    # -- 3. The same log again, processed at once: nothing is stored twice.
    settings.REPORT_BATCH_INLINE_MAX = 50
    part.goto("/reports/sarif/")
    part.get_by_label("SARIF log").set_input_files(str(path))
    part.get_by_role("button", name="Upload and submit").click()
    part.wait_for_load_state()
    assert part.get_by_role("heading", name="Done").is_visible()
    for count in ("0 created", "2 already submitted", "1 rejected"):
        assert part.get_by_text(count).is_visible()
    assert part.get_by_text("Already submitted", exact=True).count() == 2
    assert Report.objects.filter(reporter=partner).count() == 2
    assert_accessible(part)
    shot(part, "sarif log sent again")

    # -- 4. The coordinator finds both findings in triage, from the partner's organisation.
    coord = new_page()
    sign_in(coord, coordinator)
    coord.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    coord.wait_for_load_state()
    for title in titles:
        row = coord.get_by_role("row").filter(has_text=title)
        assert row.get_by_text(partner_org.name).is_visible()
    assert_accessible(coord)
    shot(coord, "triage with the sarif findings")
    coord.get_by_role("row").filter(has_text=titles[0]).get_by_role("link").first.click()
    coord.wait_for_load_state()
    assert coord.get_by_text("Tool: CodeQL 2.15.0").is_visible()
    assert coord.get_by_text("src/libexample/module0.py:40").first.is_visible()
    assert_accessible(coord)
