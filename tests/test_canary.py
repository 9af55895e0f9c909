"""The canary: an embargoed case whose every text field is a unique token.

For each persona that must learn nothing about the case (anonymous, an outsider,
another project's maintainer, a partner not in the case, a Django staff user who is not
in the SIRT) we crawl every GET page the permission table can build, the lists with
searches for the token and with filters, every GET endpoint of the API (walked from
the OpenAPI schema, every case reference and object id substituted), the persona's own
calendar feed, and the same-site links found on the way; then we roll the case back
and fetch the same URLs again. The token must never appear in a body or a header, and
every page must read exactly the same with and without the case: no count, total,
page number, row or calendar event may give its existence away.

A second canary: a published advisory with an unpublished edit pending. Every public
page and per-advisory file (CSAF, OSV, CVE, provider directory, feeds, the API) must
carry the published revision only, never the pending text.

``scripts/mutations.py`` re-checks that these tests catch the mistakes they were
written for (README, "Tests").
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disclosure import services as disclosure_services
from tests.crawl import Page, api_urls, crawl, crawl_api, fetch, url_name
from tests.factories import make_user
from tests.permission_table import PERMISSIONS
from tests.scenario import Scenario, World, add_embargoed_case, make_world, url_for

OUTSIDE_PERSONAS = ("anonymous", "outsider", "other_maintainer", "partner", "staff")
MAX_FOLLOWED = 80  # links followed beyond the seeds, per persona (a bound, not a target)

# Not crawled: a secret per-user URL (whoever holds it is that user, not an outsider);
# each persona's own feed is a seed instead.
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


def seed_urls(scenario: Scenario, canary: Canary) -> list[str]:
    """Every GET URL of the table and of the API's schema, plus lists searched for the
    token and filtered."""
    urls = []
    for name, entry in PERMISSIONS.items():
        if "GET" in entry and name not in NOT_CRAWLED:
            urls.append(url_for(name, entry, scenario))
    api, unclassified = api_urls()
    assert not unclassified, "classify in tests/crawl.py API_PARAMETERS:\n" + "\n".join(
        unclassified
    )
    urls += api
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


def normalise(body: bytes) -> bytes:
    for pattern in NOISE:
        body = pattern.sub(b"", body)
    return body


def refetch(make_client: Callable[[], Client], urls: list[str]) -> dict[str, Page]:
    client = make_client()
    return {url: fetch(client, url) for url in urls}


def leaks(token: str, pages: dict[str, Page]) -> list[str]:
    found = []
    for url, (status, headers, body) in pages.items():
        if token.encode() in body:
            found.append(f"{url} ({status}): in the body")
        for key, value in headers.items():
            if token in value:
                found.append(f"{url} ({status}): in the {key} header")
    return found


def differences(with_case: dict[str, Page], without_case: dict[str, Page]) -> list[str]:
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
    world = make_world()
    # Django's staff flag opens the admin (its own test), never a case: not in the SIRT.
    world.users["staff"] = make_user("staff", is_staff=True)
    return world


def run_canary(world: World, persona: str) -> tuple[dict[str, Page], list[str], list[str]]:
    """Crawl as ``persona`` with the canary case, then without; (pages, leaks, differences)."""
    canary = Canary()
    user = world.users[persona]

    def make_client() -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    # The persona's own calendar feed: it must not gain an event when the case exists.
    feeds = []
    if user is not None:
        token = disclosure_services.regenerate_calendar_token(user)
        feeds.append(reverse("disclosure:calendar_feed", args=[token]))
    # Frozen time: "3 hours ago" reads the same in both runs.
    with time_machine.travel(timezone.now(), tick=False):
        savepoint = transaction.savepoint()
        scenario = add_embargoed_case(world, canary.text)
        assert scenario.case.title.count(canary.token) == 1  # the canary is in place
        # A release date as well as the public date: both are calendar events.
        disclosure_services.save_release_plan(
            scenario.case,
            world.users["coordinator"],
            target_at=timezone.now() + dt.timedelta(days=10),
            expected_version=None,
        )
        with_case = crawl(
            make_client,
            [*seed_urls(scenario, canary), *feeds],
            max_followed=MAX_FOLLOWED,
            not_crawled=NOT_CRAWLED,
        )
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


# --------------------------------------------------------------------------- published files


def public_advisory_urls(advisory: Any) -> list[str]:
    """Every public page and file of ``advisory`` and every listing that carries it."""
    from disclosure.advisories.formats import csaf_filename, osv
    from disclosure.models import Advisory

    advisory = Advisory.objects.prefetch_related("revisions").get(pk=advisory.pk)
    identifier, year = advisory.identifier, advisory.year
    csaf_file = csaf_filename(identifier)
    vulnerabilities = advisory.current_revision.content["vulnerabilities"]
    urls = [
        reverse("advisories:list"),
        reverse("advisories:list") + "?q=pending",
        reverse("advisories:feed"),
        reverse("advisories:detail", args=[identifier]),
        reverse("advisories:csaf", args=[identifier]),
        reverse("advisories:osv_index"),
        *(reverse("advisories:osv", args=[osv_id]) for osv_id in osv.render(advisory)),
        *(reverse("advisories:cve", args=[v["cve_id"]]) for v in vulnerabilities if v["cve_id"]),
        reverse("advisories:csaf_provider_metadata"),
        reverse("advisories:csaf_directory"),
        reverse("advisories:csaf_index"),
        reverse("advisories:csaf_changes"),
        reverse("advisories:csaf_year", args=[year]),
        *(
            reverse("advisories:csaf_provider_file", args=[year, csaf_file + suffix])
            for suffix in ("", ".sha256", ".sha512")
        ),
    ]
    api, unclassified = api_urls()
    assert not unclassified
    return urls + [u for u in api if u.startswith("/api/v1/advisories/")]


@pytest.mark.parametrize("persona", ["anonymous", "partner", "staff"])
def test_public_files_never_carry_an_unpublished_edit(world: World, persona: str) -> None:
    """A published advisory, edited since (text and a vulnerability) but not republished:
    every per-advisory file and listing serves the published revision only."""
    from cases import services
    from disclosure.models import Advisory
    from tests.disclosure.advisory_factories import published_advisory

    coordinator = world.users["coordinator"]
    reviewer = make_user("coord2", organisation=world.sirt)
    case = world.other_case
    vulnerability = case.vulnerabilities.get()
    services.save_vulnerability(
        case,
        coordinator,
        vulnerability=vulnerability,
        expected_version=vulnerability.version,
        title=vulnerability.title,
        cwe="CWE-1333",
        cve_id="CVE-2026-48001",
        affected=[{"purl": "pkg:npm/fastparse", "vers": "vers:npm/<2.3.1", "fixed_versions": []}],
    )
    advisory = published_advisory(case, coordinator, reviewer)
    published = {url: fetch(Client(), url) for url in public_advisory_urls(advisory)}
    assert all(status == 200 for status, _, _ in published.values()), {
        url: status for url, (status, _, _) in published.items() if status != 200
    }

    pending = Canary()
    advisory = Advisory.objects.get(pk=advisory.pk)
    advisory.edit(
        coordinator,
        expected_version=advisory.version,
        title=pending.text("pending title"),
        summary=pending.text("pending summary"),
        details=pending.text("pending details"),
        workarounds=pending.text("pending workarounds"),
        references="https://git.example.org/fastparse/commit/abc123 Fix commit",
    )
    vulnerability = case.vulnerabilities.get()
    services.save_vulnerability(
        case,
        coordinator,
        vulnerability=vulnerability,
        expected_version=vulnerability.version,
        title=pending.text("pending vulnerability title"),
        description=pending.text("pending vulnerability description"),
        cwe="CWE-1333",
        cve_id="CVE-2026-48001",
        affected=[{"purl": "pkg:npm/fastparse", "vers": "vers:npm/<2.3.1", "fixed_versions": []}],
    )
    assert Advisory.objects.get(pk=advisory.pk).has_unpublished_changes

    client = Client()
    if world.users[persona] is not None:
        client.force_login(world.users[persona])
    urls = list(published)
    after = {url: fetch(client, url) for url in urls}
    after.update(crawl_api(client, [u for u in urls if u.startswith("/api/")]))

    leaked = leaks(pending.token, after)
    assert not leaked, "the pending edit is public:\n  " + "\n  ".join(leaked)
    changed = [u for u in urls if after[u][0] != published[u][0]]
    assert not changed, f"answers changed with the pending edit: {changed}"
