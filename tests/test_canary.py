"""The canary: an embargoed case whose every text field is a unique token.

For each persona that must learn nothing about the case (anonymous, an outsider,
another project's maintainer, a partner not in the case) we crawl every GET page the
permission table can build, the lists with searches for the token and with filters,
and the same-site links found on the way; then we roll the case back and fetch the
same URLs again. The token must never appear in a body or a header, and every page
must read exactly the same with and without the case: no count, total, page number
or row may give its existence away.
"""

from __future__ import annotations

import contextlib
import difflib
import html
import re
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urlencode, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from tests.permission_table import PERMISSIONS
from tests.scenario import Scenario, World, add_embargoed_case, make_world, url_for

OUTSIDE_PERSONAS = ("anonymous", "outsider", "other_maintainer", "partner")
MAX_FOLLOWED = 80  # links followed beyond the seeds, per persona (a bound, not a target)

# Links the crawl never follows: static files, the admin (staff only; has its own
# test), and sign-out (which would end the crawl's session).
SKIP_PREFIXES = (f"/{settings.STATIC_URL.strip('/')}/", "/admin/")
SKIP_NAMES = ("logout",)
# Not crawled: a secret per-user URL (whoever holds it is that user, not an outsider).
NOT_CRAWLED = ("disclosure:calendar_feed",)
# Random on every request (a fresh authenticator secret): compared by status only,
# still searched for the token.
VOLATILE = ("accounts:2fa",)

# Per-request noise removed before two bodies are compared.
NOISE = [
    re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(rb'name="csrf-token" content="[^"]*"'),
    re.compile(rb'nonce="[^"]*"'),
    re.compile(rb'"ms": ?[0-9.]+'),  # /healthz timings
]


class Canary:
    """One token for the run; ``text(field)`` puts it into a field's content."""

    def __init__(self) -> None:
        self.token = f"CANARY{uuid.uuid4().hex[:16]}"

    def text(self, field: str) -> str:
        return f"{field} {self.token} {field.replace(' ', '-')}"

    @property
    def search_word(self) -> str:
        # Searches match regardless of case; the token check does not, so an echo of
        # the query in a search box is not mistaken for a leak (the with/without
        # comparison still catches any difference the search makes).
        return self.token.lower()


def _skipped_paths() -> tuple[str, ...]:
    paths = []
    for name in SKIP_NAMES:
        with contextlib.suppress(NoReverseMatch):
            paths.append(reverse(name))
    return tuple(paths)


def seed_urls(scenario: Scenario, canary: Canary) -> list[str]:
    """Every GET URL of the table, plus lists searched for the token and filtered."""
    urls = []
    for name, entry in PERMISSIONS.items():
        if "GET" in entry and name not in NOT_CRAWLED:
            urls.append(url_for(name, entry, scenario))
    case = scenario.case
    words = [canary.search_word, case.reference, "libexample", "overflow"]
    # Each list with the parameters it reads: searches for the token (and words of
    # the case), every filter the case matches, sorting and a second page.
    lists = {
        reverse("cases:case_list"): [
            *({"q": word} for word in words),
            {"state": "open"},
            {"state": case.state},
            {"severity": case.severity},
            {"project": scenario.world.project.pk},
            {"sort": "-severity"},
            {"page": 2},
        ],
        reverse("cases:report_list"): [{"status": "all"}, {"status": "new"}, {"page": 2}],
        # The public advisory list searches published text only; the draft must not match.
        reverse("advisories:list"): [*({"q": word} for word in words), {"page": 2}],
        # The API answers the same session, in JSON.
        reverse("api:case-list"): [
            *({"search": word} for word in words),
            {"state": case.state},
            {"ordering": "-updated_at"},
        ],
        reverse("api:report-list"): [*({"search": word} for word in words)],
    }
    for path, variants in lists.items():
        urls += [f"{path}?{urlencode(params)}" for params in variants]
    return list(dict.fromkeys(urls))


def url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def links_in(body: bytes) -> list[str]:
    found = []
    for raw in re.findall(rb'href="([^"]+)"', body):
        link = urldefrag(html.unescape(raw.decode("utf-8", "replace")))[0]
        parts = urlsplit(link)
        if link.startswith("/") and not link.startswith("//") and not parts.scheme:
            found.append(link)
    return found


def normalise(body: bytes) -> bytes:
    for pattern in NOISE:
        body = pattern.sub(b"", body)
    return body


def fetch(client: Client, url: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(url)
    # Reading a streamed body to its end lets the test client close it (never call
    # close() here: it would signal request_finished and close the DB connection).
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = {k: v for k, v in response.items() if k.lower() not in ("set-cookie", "date")}
    return response.status_code, headers, body


def crawl(make_client: Callable[[], Client], seeds: list[str]) -> dict[str, tuple]:
    """Every seed, then same-site links found on the way (breadth-first, bounded)."""
    client = make_client()
    skip = _skipped_paths()
    queue, seen, pages = deque(seeds), set(seeds), {}
    while queue and len(pages) < len(seeds) + MAX_FOLLOWED:
        url = queue.popleft()
        status, headers, body = fetch(client, url)
        pages[url] = (status, headers, body)
        if status != 200:
            continue
        for link in links_in(body):
            path = urlsplit(link).path
            if link in seen or path.startswith(SKIP_PREFIXES) or path in skip:
                continue
            if url_name(path) in NOT_CRAWLED:
                continue
            seen.add(link)
            queue.append(link)
    return pages


def refetch(make_client: Callable[[], Client], urls: list[str]) -> dict[str, tuple]:
    client = make_client()
    return {url: fetch(client, url) for url in urls}


def leaks(token: str, pages: dict[str, tuple]) -> list[str]:
    found = []
    for url, (status, headers, body) in pages.items():
        if token.encode() in body:
            found.append(f"{url} ({status}): in the body")
        for key, value in headers.items():
            if token in value:
                found.append(f"{url} ({status}): in the {key} header")
    return found


def differences(with_case: dict[str, tuple], without_case: dict[str, tuple]) -> list[str]:
    found = []
    for url, (status, headers, body) in with_case.items():
        other_status, other_headers, other_body = without_case[url]
        if status != other_status:
            found.append(f"{url}: status {status} with the case, {other_status} without")
        elif headers.get("Location") != other_headers.get("Location"):
            found.append(f"{url}: redirects elsewhere when the case exists")
        elif url_name(urlsplit(url).path) in VOLATILE:
            continue
        elif normalise(body) != normalise(other_body):
            found.append(f"{url}: the page differs when the case exists{_diff(body, other_body)}")
    return found


def _diff(with_body: bytes, without_body: bytes) -> str:
    a = normalise(with_body).decode("utf-8", "replace").splitlines()
    b = normalise(without_body).decode("utf-8", "replace").splitlines()
    lines = [
        line[:160]
        for line in difflib.unified_diff(b, a, "without", "with", n=0, lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return "".join(f"\n      {line}" for line in lines[:6])


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    from tests.scenario import private_storage_settings

    private_storage_settings(settings, tmp_path)
    return make_world()


def run_canary(world: World, persona: str) -> tuple[dict[str, tuple], list[str], list[str]]:
    """Crawl as ``persona`` with the canary case, then without; (pages, leaks, differences)."""
    canary = Canary()
    user = world.users[persona]

    def make_client() -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    # Frozen time: "3 hours ago" reads the same in both runs.
    with time_machine.travel(timezone.now(), tick=False):
        savepoint = transaction.savepoint()
        scenario = add_embargoed_case(world, canary.text)
        assert scenario.case.title.count(canary.token) == 1  # the canary is in place
        with_case = crawl(make_client, seed_urls(scenario, canary))
        transaction.savepoint_rollback(savepoint)
        without_case = refetch(make_client, list(with_case))
    return with_case, leaks(canary.token, with_case), differences(with_case, without_case)


@pytest.mark.parametrize("persona", OUTSIDE_PERSONAS)
def test_an_embargoed_case_leaves_no_trace_for_someone_outside_it(
    world: World, persona: str
) -> None:
    pages, leaked, differs = run_canary(world, persona)

    assert sum(status == 200 for status, _, _ in pages.values()) >= 3, "the crawl saw nothing"
    assert not leaked, f"the canary leaked to {persona}:\n  " + "\n  ".join(leaked)
    assert not differs, f"{persona} can tell that the case exists:\n  " + "\n  ".join(differs)


def test_the_canary_notices_a_list_that_forgets_the_access_rules(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crawl itself is tested: with visibility switched off, it must cry out."""
    from cases import access

    monkeypatch.setattr(access, "filter_visible", lambda queryset, user: queryset)
    _, leaked, differs = run_canary(world, "outsider")

    assert any(reverse("cases:case_list") in line for line in leaked)
    assert differs
