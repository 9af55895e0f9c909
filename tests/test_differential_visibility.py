"""Field by field, the API shows what the web shows, and both only what a persona may see.

A scenario with a merged duplicate: reporter A's report opens an embargoed libexample
case (its title becomes the case's and the vulnerability's title), reporter B's report of
the same flaw is merged into it; maintainers, a partner and a downstream organisation
take part; another project's case was reported by a third reporter. Every person's
username, names and e-mail, every organisation's name and every text a reporter wrote
(reports, comments, file names) is a unique token owned by someone.

For every persona we crawl the web pages (every GET page of the permission table, both
cases' pages and every same-site link found on the way) and the REST API (every GET
endpoint of the OpenAPI schema, with every case reference and object id substituted),
and collect the tokens each side shows. Then:

- the API never shows a token the web does not show the same persona (API ⊆ web);
- neither shows a token whose owner is not in the persona's row of ``MAY_SEE`` (the
  expectation, written down per persona);
- each side shows what ``MUST_SEE`` says (the crawl really reached the case);
- the persona's calendar feed names a case only if the persona takes part in it.

A new endpoint falls under it by existing; a path parameter nobody classified in
``API_PARAMETERS`` (tests/crawl.py) fails the test until someone says which values to try.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CommentVisibility,
    Credit,
    Organisation,
    Report,
)
from disclosure import services as disclosure_services
from disclosure.models import Advisory
from tests.crawl import SKIP_PREFIXES, Page, api_urls, crawl, crawl_api
from tests.factories import make_organisation, make_report, make_user
from tests.permission_table import PERMISSIONS
from tests.scenario import Scenario, World, embargo, make_world, private_storage_settings

PERSONAS = (
    "coordinator",
    "maintainer",
    "other_maintainer",
    "partner",
    "downstream",
    "reporter_a",
    "reporter_b",
    "outsider",
    "staff",
)

# What the participants of the libexample case may all know about it: its coordinator,
# its maintainers, partner and downstream organisations (people and names), and the text
# they wrote ("case1"). Never who reported it, nor the reporters' words.
CASE1_SHARED = frozenset(
    {
        "sirt_org",
        "coordinator",
        "maintainer",
        "maintainer_org",
        "partner",
        "partner_org",
        "downstream",
        "downstream_org",
        "case1",
    }
)
EVERYTHING = "*"

# persona -> the owners of the tokens this persona may see, anywhere (web or API).
MAY_SEE: dict[str, frozenset[str] | str] = {
    "coordinator": EVERYTHING,
    # view_reporters: both reporters, their reports' titles, files and credits.
    "maintainer": CASE1_SHARED
    | {"reporter_a", "reporter_a_org", "reporter_b", "credit", "maintainer_vendor"},
    # Only the fastparse case: its reporter (view_reporters there) and its text.
    "other_maintainer": frozenset(
        {"sirt_org", "coordinator", "other_maintainer", "other_maintainer_org"}
        | {"reporter_c", "case2"}
    ),
    "partner": CASE1_SHARED | {"partner_note", "partner_vendor"},
    "downstream": CASE1_SHARED,
    # Each reporter: themselves and their own words, never the other reporter.
    "reporter_a": CASE1_SHARED | {"reporter_a", "reporter_a_org"},
    "reporter_b": CASE1_SHARED | {"reporter_b"},
    "outsider": frozenset({"sirt_org", "outsider"}),
    # is_staff, not SIRT: the Django admin flag gives no case.
    "staff": frozenset({"sirt_org", "staff"}),
}

# persona -> owners of which at least one token must show on the web / in the API: the
# crawl did reach the case, the lists and the reporters' own pages.
MUST_SEE_WEB: dict[str, set[str]] = {
    "coordinator": {"reporter_a", "reporter_b", "internal", "credit", "reporter_c", "case2"},
    "maintainer": {"reporter_a", "reporter_b", "credit", "partner_org", "downstream_org"},
    "other_maintainer": {"reporter_c", "case2"},
    "partner": {"maintainer_org", "case1", "partner_note", "partner_vendor"},
    "downstream": {"maintainer_org", "case1"},
    "reporter_a": {"reporter_a", "case1"},
    "reporter_b": {"reporter_b", "case1"},
    "outsider": {"outsider"},
    "staff": {"staff"},
}
MUST_SEE_API: dict[str, set[str]] = {
    "coordinator": {"reporter_a", "reporter_b", "credit", "case2"},
    "maintainer": {"reporter_a", "reporter_b", "credit", "case1", "maintainer_vendor"},
    "other_maintainer": {"reporter_c", "case2"},
    "partner": {"case1", "partner_note", "partner_vendor"},
    "downstream": {"case1"},
    "reporter_a": {"reporter_a", "case1"},
    "reporter_b": {"reporter_b", "case1"},
    "outsider": {"outsider"},
    "staff": {"staff"},
}
# Whose calendar feed carries the libexample case (embargo and release dates).
IN_CASE1 = frozenset(
    {"coordinator", "maintainer", "partner", "downstream", "reporter_a", "reporter_b"}
)

MAX_FOLLOWED = 150  # links followed beyond the seeds, per persona (a bound, not a target)


class Tokens:
    """Unique lowercase tokens, each with an owner (a row of ``MAY_SEE``) and a label."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        self.label: dict[str, str] = {}

    def __call__(self, label: str, owner: str) -> str:
        token = f"zq{uuid.uuid4().hex[:12]}"
        self.owner[token], self.label[token] = owner, label
        return token

    def found_in(self, body: bytes) -> set[str]:
        found = set(re.findall(rb"zq[0-9a-f]{12}", body.lower()))
        return {t.decode() for t in found} & set(self.owner)

    def describe(self, tokens: Iterable[str]) -> str:
        return ", ".join(sorted(f"{self.label[t]} ({self.owner[t]})" for t in tokens))


@dataclass
class Differential:
    scenario: Scenario  # for the permission table's URLs: the libexample case
    tokens: Tokens
    users: dict[str, Any]  # persona -> user
    cases: list[Case]
    advisories: list[Advisory] = field(default_factory=list)


# --------------------------------------------------------------------------- the scenario


def _name_person(user: Any, owner: str, tok: Tokens) -> None:
    user.username = tok(f"{owner} username", owner)
    user.first_name = tok(f"{owner} first name", owner)
    user.last_name = tok(f"{owner} last name", owner)
    user.email = f"{tok(f'{owner} e-mail', owner)}@example.org"
    user.save(update_fields=["username", "first_name", "last_name", "email"])


def _name_organisation(org: Organisation, owner: str, tok: Tokens) -> None:
    name = tok(f"{owner} name", owner)
    Organisation.objects.filter(pk=org.pk).update(name=name, slug=name)
    org.refresh_from_db()


def _file(tok: Tokens, label: str, owner: str) -> ContentFile:
    return ContentFile(b"proof of concept\n", name=f"{tok(label, owner)}.txt")


def build(world: World, tok: Tokens) -> Differential:
    users = world.users
    coordinator, maintainer = users["coordinator"], users["maintainer"]
    reporter_a, partner = users["reporter"], users["partner_in_case"]
    downstream_org = make_organisation(Organisation.Kind.DOWNSTREAM, name="Distro")
    reporter_a_org = make_organisation(Organisation.Kind.PARTNER, name="A Labs")
    people = {
        "coordinator": coordinator,
        "maintainer": maintainer,
        "other_maintainer": users["other_maintainer"],
        "partner": partner,
        "downstream": make_user("downstream", organisation=downstream_org),
        "reporter_a": reporter_a,
        "reporter_b": make_user("reporter_b"),
        "outsider": users["outsider"],
        "staff": make_user("staff", is_staff=True),
    }
    reporter_a_org.add_member(reporter_a)
    other_case = world.other_case
    reporter_c = other_case.reports.get().reporter
    for owner, user in [
        *people.items(),
        ("reporter_c", reporter_c),
        ("partner_elsewhere", users["partner"]),
    ]:
        _name_person(user, owner, tok)
    for owner, org in [
        ("sirt_org", world.sirt),
        ("maintainer_org", world.maintainer_org),
        ("other_maintainer_org", world.other_maintainer_org),
        ("partner_org", world.partner_org),
        ("other_partner_org", world.other_partner_org),
        ("downstream_org", downstream_org),
        ("reporter_a_org", reporter_a_org),
    ]:
        _name_organisation(org, owner, tok)

    # The fastparse case: reported by a third reporter, its title rewritten by the SIRT.
    report_c = other_case.reports.get()
    c_title = tok("report C title", "reporter_c")
    Report.objects.filter(pk=report_c.pk).update(
        title=c_title, description=tok("report C description", "reporter_c")
    )
    other_case.vulnerabilities.update(title=c_title)
    other_case = other_case.update_details(
        coordinator,
        expected_version=other_case.version,
        title=tok("case 2 title", "case2"),
        summary=tok("case 2 summary", "case2"),
    )

    # The libexample case, opened from reporter A's report (its title is A's wording).
    report_a = make_report(
        reporter_a,
        title=tok("report A title", "reporter_a"),
        description=tok("report A description", "reporter_a"),
        organisation=reporter_a_org,
    )
    services.store_attachment(
        _file(tok, "report A file", "reporter_a"), uploaded_by=reporter_a, report=report_a
    )
    case = services.open_case_from_report(report_a, coordinator, projects=[world.project])
    maintainer_participant = services.add_participant(
        case, coordinator, organisation=world.maintainer_org, role="maintainer", notify=False
    )
    partner_participant = services.add_participant(
        case, coordinator, organisation=world.partner_org, role="partner", notify=False
    )
    services.add_participant(
        case, coordinator, organisation=downstream_org, role="downstream", notify=False
    )
    # Reporter B's report of the same flaw, merged into it as a duplicate.
    report_b = make_report(
        people["reporter_b"],
        title=tok("report B title", "reporter_b"),
        description=tok("report B description", "reporter_b"),
    )
    services.store_attachment(
        _file(tok, "report B file", "reporter_b"),
        uploaded_by=people["reporter_b"],
        report=report_b,
    )
    services.merge_report_into_case(report_b, case, coordinator)
    # A file on A's report that the SIRT added (not uploaded by a reporter).
    services.store_attachment(
        _file(tok, "file on report A by the SIRT", "reporter_a"),
        uploaded_by=coordinator,
        case=case,
        report=report_a,
    )
    case = case.transition("accept", coordinator).transition("start", coordinator)
    embargo(case)
    vulnerability = case.vulnerabilities.get()
    credit = services.add_credit(
        vulnerability,
        maintainer,
        name=tok("analyst credit", "credit"),
        kind=Credit.Kind.ANALYST,
        consented=True,
    )
    comment = services.post_comment(case, maintainer, tok("maintainer comment", "case1"))
    internal = services.post_comment(
        case,
        coordinator,
        tok("internal note", "internal"),
        visibility=CommentVisibility.COORDINATORS,
    )
    services.post_comment(
        case,
        coordinator,
        tok("note to the partner", "partner_note"),
        visibility=CommentVisibility.ORGANISATION,
        organisation=world.partner_org,
    )
    for owner in ("reporter_a", "reporter_b"):
        services.post_comment(case, people[owner], tok(f"{owner} comment", owner))
        services.store_attachment(
            _file(tok, f"{owner} case file", owner), uploaded_by=people[owner], case=case
        )
    attachment = services.store_attachment(
        _file(tok, "maintainer file", "case1"), uploaded_by=maintainer, case=case
    )
    # Vendor statuses under embargo: each organisation's own, and the SIRT's, never the
    # other vendors' (cases.access.vendors), even when marked public.
    for owner, author, org in [
        ("maintainer_vendor", maintainer, world.maintainer_org),
        ("partner_vendor", partner, world.partner_org),
    ]:
        services.set_vendor_status(
            case,
            author,
            vulnerability=vulnerability,
            organisation=org,
            status="not_affected",
            justification="vulnerable_code_not_present",
            statement=tok(f"{owner} statement", owner),
            product=tok(f"{owner} product", owner),
            public=True,
        )
    new_report = make_report(reporter_a, title=tok("report A, second", "reporter_a"))
    report_attachment = services.store_attachment(
        _file(tok, "second report file", "reporter_a"), uploaded_by=reporter_a, report=new_report
    )
    proposal = disclosure_services.propose_date(
        case,
        maintainer,
        public_at=timezone.now() + dt.timedelta(days=40),
        reason=tok("proposal reason", "case1"),
    )
    disclosure_services.respond_to_proposal(
        proposal, partner, stance="agree", comment=tok("partner agrees", "case1")
    )
    disclosure_services.save_release_plan(
        case, coordinator, target_at=timezone.now() + dt.timedelta(days=10), expected_version=None
    )
    pre_notification = disclosure_services.add_pre_notification(
        case, coordinator, organisation=downstream_org
    )
    disclosure_services.mark_pre_notification_sent(pre_notification, coordinator)
    advisory = Advisory.create_for_case(case, coordinator)

    scenario = Scenario(
        world=world,
        case=case,
        report=report_a,
        new_report=new_report,
        comment=comment,
        internal_comment=internal,
        attachment=attachment,
        report_attachment=report_attachment,
        vulnerability=vulnerability,
        participant=partner_participant,
        maintainer_participant=maintainer_participant,
        proposal=proposal,
        advisory=advisory,
        extra={"credit": credit, "proposal": proposal, "advisory": advisory},
    )
    return Differential(
        scenario=scenario,
        tokens=tok,
        users=people,
        cases=[case, other_case],
        advisories=[advisory],
    )


@pytest.fixture
def differential(db: Any, settings: Any, tmp_path: Any) -> Differential:
    private_storage_settings(settings, tmp_path)
    return build(make_world(), Tokens())


# --------------------------------------------------------------------------- the web


def web_seeds(d: Differential) -> list[str]:
    """Every GET page of the permission table, and every case's and report's pages."""
    from tests.scenario import url_for

    urls = [
        url_for(name, entry, d.scenario)
        for name, entry in PERMISSIONS.items()
        if "GET" in entry
        and not name.startswith("api:")
        and name != "disclosure:calendar_feed"  # per-user secret URL: read below
    ]
    for case in d.cases:
        urls += [
            reverse("cases:case_detail", args=[case.reference]),
            reverse("cases:case_detail", args=[case.reference]) + "?all=comments",
            reverse("cases:case_detail", args=[case.reference]) + "?all=timeline",
            reverse("disclosure:release_overview", args=[case.reference]),
        ]
    for report in Report.objects.all():
        urls.append(reverse("cases:report_detail", args=[report.pk]))
    urls += [reverse("cases:report_list") + "?status=all", reverse("cases:case_list") + "?q="]
    return list(dict.fromkeys(urls))


def crawl_web(client: Client, seeds: list[str]) -> dict[str, Page]:
    """The seeds, then same-site links (not the API, the admin or sign-out), bounded."""
    return crawl(
        lambda: client,
        seeds,
        max_followed=MAX_FOLLOWED,
        not_crawled=("disclosure:calendar_feed",),
        skip_prefixes=(*SKIP_PREFIXES, "/api/"),
    )


# --------------------------------------------------------------------------- the checks


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tokens_in(tok: Tokens, pages: dict[str, Page]) -> dict[str, set[str]]:
    """token -> the URLs that show it (in the body or a header)."""
    where: dict[str, set[str]] = {}
    for url, (_, headers, body) in pages.items():
        body += "\n".join(headers.values()).encode()
        for token in tok.found_in(body):
            where.setdefault(token, set()).add(url)
    return where


def may_see(persona: str, owner: str) -> bool:
    allowed = MAY_SEE[persona]
    return allowed == EVERYTHING or owner in allowed or owner == persona


def _report(tok: Tokens, where: dict[str, set[str]], tokens: Iterable[str]) -> str:
    return "\n  ".join(
        f"{tok.label[t]} ({tok.owner[t]}) on {', '.join(sorted(where[t])[:3])}"
        for t in sorted(tokens)
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_shows_a_persona_only_what_the_web_shows_and_both_only_what_they_may_see(
    differential: Differential, persona: str
) -> None:
    d, tok = differential, differential.tokens
    user = d.users[persona]
    urls, unclassified = api_urls()
    assert not unclassified, (
        "classify these API path parameters in tests/crawl.py API_PARAMETERS:\n  "
        + "\n  ".join(unclassified)
    )
    web_pages = crawl_web(client_for(user), web_seeds(d))
    api_pages = crawl_api(client_for(user), urls)

    errors = [f"{u} ({s})" for u, (s, _, _) in {**web_pages, **api_pages}.items() if s >= 500]
    assert not errors, "pages failed:\n  " + "\n  ".join(errors)
    web, api = tokens_in(tok, web_pages), tokens_in(tok, api_pages)

    only_api = set(api) - set(web)
    assert not only_api, f"the API shows {persona} what the web does not:\n  " + _report(
        tok, api, only_api
    )
    leaked_web = {t for t in web if not may_see(persona, tok.owner[t])}
    leaked_api = {t for t in api if not may_see(persona, tok.owner[t])}
    assert not leaked_web, f"the web shows {persona}:\n  " + _report(tok, web, leaked_web)
    assert not leaked_api, f"the API shows {persona}:\n  " + _report(tok, api, leaked_api)

    seen_web = {tok.owner[t] for t in web}
    seen_api = {tok.owner[t] for t in api}
    assert MUST_SEE_WEB[persona] <= seen_web, (
        f"the crawl did not reach, on the web: {MUST_SEE_WEB[persona] - seen_web}"
    )
    assert MUST_SEE_API[persona] <= seen_api, (
        f"the crawl did not reach, in the API: {MUST_SEE_API[persona] - seen_api}"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_personas_calendar_feed_names_only_the_cases_they_take_part_in(
    differential: Differential, persona: str
) -> None:
    d = differential
    token = disclosure_services.regenerate_calendar_token(d.users[persona])
    feed = Client().get(reverse("disclosure:calendar_feed", args=[token])).content.decode()

    libexample = d.cases[0].reference
    assert (libexample in feed) == (persona in IN_CASE1), feed
    assert not d.tokens.found_in(feed.encode())


def test_the_api_walk_covers_lists_details_and_every_case(differential: Differential) -> None:
    urls, unclassified = api_urls()
    vulnerability = differential.scenario.vulnerability.pk

    assert not unclassified
    assert {"/api/v1/me/", "/api/v1/cases/", "/api/v1/reports/"} <= set(urls)
    for case in differential.cases:
        assert f"/api/v1/cases/{case.reference}/" in urls
        assert f"/api/v1/cases/{case.reference}/participants/" in urls
        assert f"/api/v1/cases/{case.reference}/vulnerabilities/{vulnerability}/" in urls
