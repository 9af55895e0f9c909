"""Browser tests: Playwright for Python driving Debian's Chromium against ``live_server``.

- Chromium is ``/usr/bin/chromium`` (``.ci/run`` installs it with apt); Playwright never
  downloads a browser here. Without it the tests fail in CI and skip elsewhere.
- axe-core comes from npm (``tests/e2e/package.json``; ``.ci/run`` and ``make test``
  run ``npm ci --prefix tests/e2e``) and is injected with an init script, which the
  page's Content Security Policy does not apply to.
- Each step saves a screenshot under ``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_unavailable as _unavailable

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are ordinary synchronous code, not async-unsafe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE.parent / "artifacts"
# Impacts axe ranks as blocking; "minor" and "moderate" are reported, not fatal.
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        _unavailable(f"{AXE} is missing: run `npm ci --prefix tests/e2e`")
    return AXE.read_text()


@pytest.fixture
def new_page(browser: Any, live_server: Any, axe_source: str) -> Iterator[Callable[[], Any]]:
    """``new_page()``: a fresh browser context (its own cookies: one person) and page."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.add_init_script(axe_source)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


class Shots:
    """Numbered screenshots of one test, in the order the steps happen."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> Path:
        self.n += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = ARTIFACTS / f"{self.prefix}-{self.n:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: Any) -> Shots:
    return Shots(request.node.name.removeprefix("test_")[:40])


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now (WCAG 2.x A/AA)."""
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def assert_accessible(page: Any) -> None:
    problems = axe_violations(page)
    detail = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in problems
    )
    assert not problems, f"axe-core on {page.url}:\n{detail}"


# --------------------------------------------------------------------------- signing in

PASSWORD = "correct-horse-battery-staple"  # tests/factories.py


def totp_now(user: Any) -> str:
    """The current code of the user's authenticator (a confirmed TOTP device)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def sign_in(page: Any, user: Any, password: str = PASSWORD) -> None:
    """The real sign-in form, then the second-factor step when the user has one."""
    page.goto("/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/account/2fa/" in page.url:
        from cases.accounts.mfa import has_second_factor

        if not has_second_factor(user):
            totp_now(user)  # enrol a device the way the set-up page would have
            page.goto("/login/")
            return sign_in(page, user, password)
        page.get_by_label(re.compile("code", re.I)).fill(totp_now(user))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
    assert "/login/" not in page.url, f"sign-in of {user} failed: {page.url}"


# --------------------------------------------------------------------------- shared steps


def open_details(scope: Any, summary: str) -> Any:
    """Open the ``<details>`` whose summary reads ``summary``; returns it."""
    details = scope.locator("details", has=scope.page.get_by_text(summary, exact=True))
    details.evaluate("d => { d.open = true; }")
    return details


def confirmation_path(address: str) -> str:
    """The path of the confirmation link last mailed to ``address`` (locmem outbox:
    ``live_server`` runs in this process)."""
    from django.core import mail

    message = [m for m in mail.outbox if m.to == [address]][-1]
    link = re.search(r"https?://[^/\s]+(/report/confirm/\S+/)", str(message.body))
    assert link, message.body
    return link.group(1)


def give_not_affected_status(
    page: Any, organisation: str, product: str, statement: str, justification: str
) -> None:
    """On the case page: the organisation's status "not affected", with a VEX
    justification and a public statement, through the vendor status form."""
    panel = page.locator("#vendor-status")
    panel.get_by_role(
        "link", name=re.compile(f"Give the status of {re.escape(organisation)}")
    ).click()
    page.get_by_label("Not affected", exact=True).check()
    page.get_by_label(re.compile("Justification")).select_option(justification)
    page.get_by_label("Product", exact=True).fill(product)
    page.get_by_label("Statement", exact=True).fill(statement)
    page.get_by_label("Publish this status and statement in the advisory").check()
    page.get_by_role("button", name="Save status").click()
    assert page.get_by_text(
        f"The status of {organisation} on this vulnerability was saved."
    ).is_visible()


def csaf_vendor_status(document: dict[str, Any]) -> tuple[set[str], dict[str, str], list[str]]:
    """Of a CSAF document's one vulnerability: the names of the products known not
    affected, the notes by title, and the flag labels."""
    [vulnerability] = document["vulnerabilities"]
    names = {
        leaf["product"]["product_id"]: leaf["product"]["name"]
        for vendor in document["product_tree"]["branches"]
        for product in vendor["branches"]
        for leaf in product["branches"]
    }
    not_affected = {names[i] for i in vulnerability["product_status"].get("known_not_affected", [])}
    notes = {n["title"]: n["text"] for n in vulnerability.get("notes", [])}
    return not_affected, notes, [f["label"] for f in vulnerability.get("flags", [])]
