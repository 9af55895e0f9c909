"""Personas shared by every test: coordinator, maintainer, other_maintainer, partner,
outsider, anonymous; plus a case of the maintainer's project."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from cases import services
from cases.models import Case, Organisation, ParticipantRole
from tests import otp
from tests.action_coverage import (  # noqa: F401 - pytest finds hooks by name
    pytest_addoption,
    pytest_configure,
    pytest_sessionfinish,
    pytest_testnodedown,
)
from tests.factories import make_case, make_organisation, make_project, make_user


@pytest.fixture(autouse=True)
def _second_factor_on_test_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIRT and staff need a verified second factor; test sign-ins provide it (tests/otp.py)."""
    monkeypatch.setattr(Client, "force_login", otp.force_login_with_otp)
    monkeypatch.setattr(Client, "login", otp.login_with_otp)


@pytest.fixture
def without_auto_otp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ins in this test do NOT pass the second-factor step (to test its enforcement)."""
    monkeypatch.setattr(otp, "AUTO_VERIFY", False)


@pytest.fixture
def sirt(db: Any) -> Organisation:
    return make_organisation(Organisation.Kind.SIRT, name="Akrites SIRT")


@pytest.fixture
def maintainer_org(db: Any) -> Organisation:
    return make_organisation(Organisation.Kind.MAINTAINER, name="libexample maintainers")


@pytest.fixture
def other_maintainer_org(db: Any) -> Organisation:
    return make_organisation(Organisation.Kind.MAINTAINER, name="fastparse maintainers")


@pytest.fixture
def partner_org(db: Any) -> Organisation:
    return make_organisation(Organisation.Kind.PARTNER, name="Partner Corp")


@pytest.fixture
def project(maintainer_org: Organisation) -> Any:
    return make_project(maintainer_org, name="libexample")


@pytest.fixture
def other_project(other_maintainer_org: Organisation) -> Any:
    return make_project(other_maintainer_org, name="fastparse")


@pytest.fixture
def coordinator(sirt: Organisation) -> Any:
    return make_user("coord", organisation=sirt, first_name="Cora", last_name="Ordinator")


@pytest.fixture
def second_coordinator(sirt: Organisation) -> Any:
    return make_user("coord2", organisation=sirt)


@pytest.fixture
def maintainer(maintainer_org: Organisation) -> Any:
    return make_user("maint", organisation=maintainer_org)


@pytest.fixture
def other_maintainer(other_maintainer_org: Organisation) -> Any:
    return make_user("maint2", organisation=other_maintainer_org)


@pytest.fixture
def partner(partner_org: Organisation) -> Any:
    return make_user("partner", organisation=partner_org)


@pytest.fixture
def outsider(db: Any) -> Any:
    return make_user("outsider")


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def reporter(db: Any) -> Any:
    return make_user("reporter1")


@pytest.fixture
def case(coordinator: Any, project: Any, maintainer_org: Organisation, reporter: Any) -> Case:
    """An open case of libexample with its maintainers invited, reported by ``reporter``."""
    return make_case(coordinator, project=project, maintainers=maintainer_org, reporter=reporter)


@pytest.fixture
def partner_case(case: Case, coordinator: Any, partner_org: Organisation) -> Case:
    services.add_participant(
        case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    return case


def login(client: Client, user: Any) -> Client:
    if user is not None and getattr(user, "is_authenticated", False):
        client.force_login(user)
    return client


@pytest.fixture
def client_for(client: Client):  # noqa: ANN201 - returns a callable
    """``client_for(user)``: a test client signed in as that persona (or anonymous)."""

    def _client(user: Any) -> Client:
        c = Client()
        return login(c, user)

    return _client


# --------------------------------------------------------------------------- browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browser_unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run the browser tests: see .ci/run)")
    pytest.skip(what)


# One Playwright driver and one Chromium per test process: the sync API refuses a
# second driver in the same thread, so every browser test shares these two.
@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        browser_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
