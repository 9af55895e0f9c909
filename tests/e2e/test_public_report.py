"""Reporting without an account, in a real browser: the public page (from the sign-in
page), a form error that keeps the chosen file, the confirmation e-mail, the link,
a password, and the report in the coordinator's triage."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from cases.models import Report, ReportStatus
from tests.e2e.conftest import assert_accessible, confirmation_path, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_anonymous_report_reaches_triage_after_the_confirmation_link(
    new_page: Any, shot: Any, coordinator: Any, tmp_path: Any
) -> None:
    cache.clear()  # the public throttles count in the cache
    proof = tmp_path / "poc.txt"
    proof.write_text("curl 'http://target/extract?name=../../etc/passwd'\n")
    page = new_page()

    page.goto("/login/")
    page.get_by_role("main").get_by_role("link", name="Report a vulnerability").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Report a vulnerability"
    assert_accessible(page)

    page.get_by_label("Your e-mail address").fill("finder@example.net")
    page.get_by_label("Title").fill("Path traversal in libexample extraction")
    page.get_by_label("Package (purl)").fill("pkg:pypi/libexample@1.2.0")
    page.get_by_label("Attachments").set_input_files(str(proof))
    page.get_by_role("button", name="Send report").click()  # no description yet
    assert page.get_by_text("This field is required.").is_visible()
    assert page.get_by_text("kept: poc.txt").is_visible()  # not silently dropped
    assert_accessible(page)
    shot(page, "form error keeps the file")

    page.get_by_label("Description").fill("extract() follows ../ entries out of the folder.")
    page.get_by_role("button", name="Send report").click()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    assert not Report.objects.exists()  # held until the address is confirmed
    assert_accessible(page)

    page.goto(confirmation_path("finder@example.net"))
    assert page.get_by_role("heading", name="Confirm your report").is_visible()
    assert_accessible(page)
    page.get_by_label("Username").fill("finder")
    page.get_by_label("Password", exact=True).fill("a-long-passphrase-42")
    page.get_by_label("Password again").fill("a-long-passphrase-42")
    shot(page, "confirm and set a password")
    page.get_by_role("button", name="Confirm the report").click()

    report = Report.objects.get()
    assert page.get_by_text(f"report #{report.pk} was received").is_visible()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Report #{report.pk}")
    assert report.status == ReportStatus.NEW
    assert report.reporter.username == "finder"
    assert [a.original_name for a in report.attachments.all()] == ["poc.txt"]
    shot(page, "the reporter follows the report")

    sirt = new_page()
    sign_in(sirt, coordinator)
    sirt.goto("/reports/")
    sirt.get_by_role("link", name=re.compile("Path traversal in libexample extraction")).click()
    assert sirt.get_by_text("finder").first.is_visible()
    assert sirt.get_by_text("poc.txt").is_visible()
    shot(sirt, "in the coordinator's triage")
