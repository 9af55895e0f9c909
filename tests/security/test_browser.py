"""In a real browser: a coordinator signs in with password and TOTP (from the seeded demo
secret), a new SIRT member enrols an authenticator, and the pages and the admin work
under the Content Security Policy without a single violation."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from cases import demo_security
from tests.factories import PASSWORD, make_user
from tests.security.helpers import totp_code_for_secret

# Playwright's sync API runs an event loop in this thread; ORM calls between browser
# steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def chromium(browser: Any) -> Any:
    """The shared session browser (tests/conftest.py): one Playwright driver per process."""
    return browser


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.csp_violations = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            page.csp_violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()


def sign_in_with_password(page: Any, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_coordinator_signs_in_with_the_seeded_totp_secret_and_works_under_csp(
    page: Any, sirt: Any, case: Any
) -> None:
    make_user("coordinator", organisation=sirt, is_staff=True, is_superuser=True)
    demo_security.seed()
    secret = demo_security.DEMO_TOTP_SECRETS["coordinator"]

    sign_in_with_password(page, "coordinator")
    page.goto(case.get_absolute_url())
    assert "/account/2fa/verify/" in page.url  # no case page before the second factor

    with time_machine.travel(time.time(), tick=True) as clock:
        page.locator("#id_token").fill("000000")
        page.get_by_role("button", name="Verify").click()
        assert page.get_by_text("That code is not right").is_visible()
        clock.shift(5)  # django-otp slows repeated guesses down; let that pass
        code = totp_code_for_secret(demo_security.hex_key(secret))
        page.locator("#id_token").fill(code)
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
    assert page.url.endswith(case.get_absolute_url())
    assert page.get_by_role("heading", name=re.compile(case.reference)).count() >= 1

    for path in ("/", "/cases/", "/audit/", "/invitations/new/", "/profile/", "/admin/"):
        response = page.goto(path)
        assert response.status == 200, path
        assert "Content-Security-Policy" in response.headers or "content-security-policy" in (
            response.headers
        )
    page.goto("/admin/auth/user/")
    assert page.get_by_text("coordinator").first.is_visible()
    assert page.csp_violations == []


def test_a_new_coordinator_enrols_an_authenticator_and_gets_recovery_codes(
    page: Any, sirt: Any, case: Any
) -> None:
    make_user("newcoord", organisation=sirt)
    sign_in_with_password(page, "newcoord")
    page.goto(case.get_absolute_url())
    assert "/account/2fa/" in page.url
    assert page.locator("svg.qr").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    import base64

    code = totp_code_for_secret(base64.b32decode(secret).hex())
    page.locator("#id_token").fill(code)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_load_state()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name=re.compile("continue")).click()
    page.wait_for_load_state()
    assert page.url.endswith(case.get_absolute_url())
    assert page.csp_violations == []
