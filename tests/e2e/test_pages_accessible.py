"""The main pages, as each persona sees them, pass axe-core without serious violations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sign_in_page_and_the_public_advisories_are_accessible_to_anonymous_visitors(
    new_page: Any, shot: Any
) -> None:
    page = new_page()
    page.goto("/login/")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert_accessible(page)
    shot(page, "sign in")

    page.goto("/advisories/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page)


def test_the_coordinator_signs_in_with_a_second_factor_and_sees_an_accessible_dashboard(
    new_page: Any, shot: Any, coordinator: Any, case: Any
) -> None:
    page = new_page()
    sign_in(page, coordinator)

    page.goto("/")
    assert_accessible(page)
    shot(page, "dashboard")
    page.goto(case.get_absolute_url())
    assert page.get_by_text(case.reference).first.is_visible()
    assert_accessible(page)
    shot(page, "case page")
