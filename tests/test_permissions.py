"""Every URL x every persona answers as tests/permission_table.py says.

The table is checked against the URLconf: a URL without an entry fails here until
someone classifies it, and an entry for a URL that no longer exists fails too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import reverse

from tests.permission_table import GROUPS, LOGIN, PERMISSIONS
from tests.scenario import (
    PERSONAS,
    NamedURL,
    Scenario,
    build_scenario,
    url_for,
    walk_urlconf,
)

METHODS = ("GET", "POST")


@pytest.fixture(scope="module")
def shared_scenario(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[Scenario]:
    """Built once for the module, inside a transaction rolled back at its end.

    Each test runs in its own savepoint (pytest-django's ``db``), so what one
    persona's POST changes is undone before the next test: every test sees the
    same scenario, and building it 300 times is not what the suite waits on.
    """
    storage = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path_factory.mktemp("private"), "base_url": None},
        },
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storage), transaction.atomic():
        yield build_scenario()
        transaction.set_rollback(True)


@pytest.fixture
def scenario(shared_scenario: Scenario, db: Any) -> Scenario:
    return shared_scenario


def client_as(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _in_group(name: str) -> bool:
    return name.split(":", 1)[0] in GROUPS and ":" in name


def named_urls() -> tuple[dict[str, str], list[str]]:
    named: dict[str, str] = {}
    unnamed: list[str] = []
    for found in walk_urlconf():
        if isinstance(found, NamedURL):
            named.setdefault(found.name, found.route)
        elif not found.startswith(tuple(f"{group}/" for group in GROUPS)):
            unnamed.append(found)
    return named, unnamed


def test_every_url_in_the_urlconf_is_classified_in_the_permission_table() -> None:
    named, _ = named_urls()
    missing = sorted(
        f"{name}  ({route})"
        for name, route in named.items()
        if name not in PERMISSIONS and not _in_group(name)
    )
    assert not missing, "classify it in tests/permission_table.py:\n  " + "\n  ".join(missing)


def test_every_url_pattern_has_a_name_so_that_it_can_be_classified() -> None:
    _, unnamed = named_urls()
    assert not unnamed, "give these URL patterns a name= and classify them: " + ", ".join(unnamed)


def test_the_permission_table_names_only_urls_that_exist() -> None:
    named, _ = named_urls()
    stale = sorted(set(PERMISSIONS) - set(named))
    assert not stale, f"remove from tests/permission_table.py (no such URL): {stale}"


def test_every_table_entry_says_what_each_persona_gets() -> None:
    problems = []
    for name, entry in PERMISSIONS.items():
        methods = [m for m in METHODS if m in entry]
        if not methods:
            problems.append(f"{name}: no GET or POST expectations")
        for method in methods:
            if set(entry[method]) != set(PERSONAS):
                problems.append(f"{name} {method}: personas {sorted(entry[method])}")
        unknown = set(entry) - {"kwargs", "query", "data", *METHODS}
        if unknown:
            problems.append(f"{name}: unknown keys {sorted(unknown)}")
    assert not problems, "\n".join(problems)


CASES = [
    pytest.param(name, method, persona, id=f"{name}-{method}-{persona}")
    for name, entry in PERMISSIONS.items()
    for method in METHODS
    if method in entry
    for persona in PERSONAS
]


def _matches(response: Any, expected: Any) -> bool:
    if expected == LOGIN:
        login = resolve_url(settings.LOGIN_URL)
        return response.status_code == 302 and response["Location"].split("?")[0] == login
    if isinstance(expected, frozenset):
        return response.status_code in expected
    return response.status_code == expected


@pytest.mark.parametrize(("name", "method", "persona"), CASES)
def test_url_answers_the_persona_as_the_table_says(
    scenario: Scenario, name: str, method: str, persona: str
) -> None:
    entry = PERMISSIONS[name]
    url = url_for(name, entry, scenario)
    client = client_as(scenario.users[persona])
    data = entry.get("data", {})
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    expected = entry[method][persona]
    got = response.status_code
    where = f" -> {response['Location']}" if response.has_header("Location") else ""
    assert _matches(response, expected), (
        f"{method} {url} as {persona}: expected {expected}, got {got}{where}"
    )


POST_ONLY = [name for name, entry in PERMISSIONS.items() if "GET" not in entry]


@pytest.mark.parametrize("name", POST_ONLY)
def test_a_post_only_url_changes_nothing_on_get(scenario: Scenario, name: str) -> None:
    """The canary crawl follows links with GET; such a GET must be refused (405)."""
    url = url_for(name, PERMISSIONS[name], scenario)
    response = client_as(scenario.users["coordinator"]).get(url)
    assert response.status_code == 405, f"GET {url}: {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_django_admin_is_for_staff_only(scenario: Scenario, persona: str) -> None:
    response = client_as(scenario.users[persona]).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
