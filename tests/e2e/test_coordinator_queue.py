"""The coordinator's day in a real browser: the work queue's links, the triage page at
desktop and phone widths (the merge button within the viewport, no sideways scrolling),
merging with a confirmation, and undoing the merge."""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import Case, Report, ReportStatus
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import make_report, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [(1440, 900), (390, 844)]


def _duplicate_of(case: Case) -> Report:
    # Same package, versions and weakness as the case's founding report, long words in
    # the title: a likely duplicate whose row must still fit a phone.
    return make_report(
        make_user("second-finder"),
        title="Heap overflow in parser when decoding_extraordinarily_long_chunk_headers",
    )


def _no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_work_queue_links_to_the_report_to_triage(
    new_page: Any, shot: Any, coordinator: Any, case: Case
) -> None:
    report = _duplicate_of(case)
    page = new_page()
    sign_in(page, coordinator)
    page.goto("/")
    queue = page.locator("#work-queue")
    assert queue.get_by_role("heading", name="Reports to triage").is_visible()
    assert queue.get_by_text("No advisory waits for your review.").is_visible()
    assert_accessible(page)
    shot(page, "work queue")
    queue.get_by_role("link", name=f"#{report.pk} {report.title}").click()
    assert page.url.endswith(report.get_absolute_url())
    assert page.get_by_role("heading", name="Possible duplicates").is_visible()


@pytest.mark.parametrize("width, height", WIDTHS)
def test_triage_candidates_fit_the_page(
    new_page: Any, shot: Any, coordinator: Any, case: Case, width: int, height: int
) -> None:
    report = _duplicate_of(case)
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, coordinator)
    page.goto(report.get_absolute_url())
    button = page.get_by_role("button", name=f"Merge into {case.reference}")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert _no_sideways_scroll(page)
    # The score comes with its reasons, in words.
    candidate = page.locator("li.candidate").first
    assert candidate.get_by_text("Same package").is_visible()
    assert_accessible(page)
    shot(page, f"triage {width}px")


def test_merge_asks_for_confirmation_and_can_be_undone(
    new_page: Any, shot: Any, coordinator: Any, case: Case
) -> None:
    report = _duplicate_of(case)
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, coordinator)
    page.goto(report.get_absolute_url())
    page.get_by_role("button", name=f"Merge into {case.reference}").click()

    # The confirmation page: nothing merged yet, and it says what will happen.
    assert page.get_by_role("heading", name=f"Merge report #{report.pk} into").is_visible()
    assert page.get_by_text("What the merge does").is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW
    assert_accessible(page)
    shot(page, "confirm merge")
    page.get_by_role("button", name=f"Merge into {case.reference}").click()
    assert page.get_by_text(f"was attached to {case.reference} as a duplicate").is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE

    page.goto(report.get_absolute_url())
    page.get_by_role("button", name="Undo the merge").click()
    assert page.get_by_text("The merge was undone").is_visible()
    assert page.get_by_role("heading", name="Possible duplicates").is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and report.case is None
    shot(page, "merge undone")

    # Both steps are in the case's timeline.
    page.goto(case.get_absolute_url())
    assert page.get_by_text("A duplicate report was merged into this case").is_visible()
    assert page.get_by_text("The merge of a duplicate report was undone").is_visible()
