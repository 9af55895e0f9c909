"""The cases UI in a real browser: triage to case, the maintainer's inbox, forms with
errors, phones; every page passes axe-core without serious violations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import make_report, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_triages_a_report_into_a_case_and_moves_it_along(
    new_page: Any, shot: Any, coordinator: Any, project: Any, maintainer_org: Any
) -> None:
    report = make_report(make_user("finder"), title="Use after free in the decoder")
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, coordinator)

    page.goto("/reports/")
    assert_accessible(page)
    page.get_by_role("link", name=f"#{report.pk} Use after free in the decoder").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("UAF in decoder")
    page.get_by_label("libexample").check()
    page.get_by_role("button", name="Open case").click()
    assert page.get_by_role("heading", level=1).inner_text().endswith("UAF in decoder")
    assert page.get_by_text("was opened from report").is_visible()
    assert_accessible(page)
    shot(page, "new case")

    page.get_by_role("link", name="Add participant").click()
    page.get_by_role("button", name="Add participant").click()  # nothing chosen
    assert page.get_by_text("Choose an organisation or a person.").is_visible()
    assert_accessible(page)
    page.get_by_label("Organisation").select_option(label="libexample maintainers")
    page.get_by_label("Role").select_option("maintainer")
    page.get_by_role("button", name="Add participant").click()
    assert page.get_by_text("was added as Maintainer").is_visible()

    page.get_by_role("button", name="Accept").click()
    assert page.get_by_text("now Accepted").is_visible()
    assert page.get_by_text("Accept: New → Accepted").is_visible()
    shot(page, "accepted")


def test_maintainer_acknowledges_from_the_inbox_and_replies(
    new_page: Any, shot: Any, maintainer: Any, case: Any
) -> None:
    page = new_page()
    sign_in(page, maintainer)
    page.goto("/")
    assert_accessible(page)
    shot(page, "inbox")
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_text(f"You acknowledged {case.reference}").is_visible()
    assert page.get_by_text("Nothing is waiting for your acknowledgement.").is_visible()

    page.goto(case.get_absolute_url())
    page.get_by_role("button", name="Post comment").click()  # empty
    assert page.get_by_text("This field is required.").first.is_visible()
    page.get_by_label("Comment").fill("We **reproduced** it. <script>alert(1)</script>")
    page.get_by_role("button", name="Post comment").click()
    assert page.locator(".comment strong", has_text="reproduced").is_visible()
    assert page.locator(".comment script").count() == 0
    assert_accessible(page)

    page.get_by_role("link", name="Add vulnerability").click()
    page.get_by_label("Title").fill("Second flaw")
    page.get_by_label("Package (purl)").nth(0).fill("pkg:pypi/libexample")
    page.get_by_label("Affected versions (vers)").nth(0).fill("vers:pypi/<2")
    page.get_by_label("Package (purl)").nth(1).fill("nope")
    page.get_by_label("Affected versions (vers)").nth(1).fill("x")
    page.get_by_role("button", name="Save vulnerability").click()
    assert page.get_by_text("Not a valid package URL (purl)").is_visible()
    # No JavaScript needed for a third row.
    page.get_by_role("button", name="Add a row").click()
    assert page.get_by_label("Package (purl)").count() == 3
    assert_accessible(page)
    shot(page, "vulnerability errors")


@pytest.mark.parametrize("path", ["/", "/cases/", "CASE", "/reports/", "/profile/"])
def test_pages_fit_a_phone_screen(new_page: Any, coordinator: Any, case: Any, path: str) -> None:
    page = new_page()
    sign_in(page, coordinator)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(case.get_absolute_url() if path == "CASE" else path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
    assert_accessible(page)
