"""The world the permission table and the canary crawl run in, and the URLconf walk.

``build_scenario()`` creates the personas of tests/conftest.py and, through the
real services, an embargoed case of libexample with its maintainers, a reporter
and a partner organisation in it, plus
everything the case's URLs point at (report, comment, attachment, vulnerability,
participant) and a second case of another project. ``Scenario.users`` maps each
persona of the permission table to its user (``None`` for anonymous).

Need another object for your URL's kwargs? Prefer a callable in the table entry
(``lambda s: make_my_thing(s.case).pk``): it runs only for your URL's tests. Add an
attribute here only when several tables share it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Attachment,
    Case,
    Comment,
    CommentVisibility,
    Credit,
    Organisation,
    Participant,
    ParticipantRole,
    Report,
    Vulnerability,
)
from disclosure.models import Advisory, EmbargoProposal
from tests.factories import make_case, make_organisation, make_project, make_report, make_user

PERSONAS = (
    "anonymous",
    "outsider",
    "reporter",
    "partner",
    "partner_in_case",
    "maintainer",
    "other_maintainer",
    "coordinator",
)


@dataclass
class World:
    """The personas and what exists besides the scenario's case."""

    users: dict[str, Any]  # persona -> user (None for anonymous)
    sirt: Organisation
    maintainer_org: Organisation
    other_maintainer_org: Organisation
    partner_org: Organisation
    other_partner_org: Organisation
    project: Any
    other_project: Any
    other_case: Case  # fastparse, with ``other_maintainer`` in it


@dataclass
class Scenario:
    world: World
    case: Case  # embargoed, in progress; maintainers, reporter and partner_org in it
    report: Report  # the report the case was opened from (by ``reporter``)
    new_report: Report  # waiting for triage (by ``reporter``), with an attachment
    comment: Comment  # visible to all participants
    internal_comment: Comment  # coordinators only
    attachment: Attachment  # on the case
    report_attachment: Attachment  # on ``new_report``
    vulnerability: Vulnerability
    participant: Participant  # the partner organisation's participation
    maintainer_participant: Participant
    proposal: Any  # an open embargo date proposal
    advisory: Any  # the draft advisory of the case
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def users(self) -> dict[str, Any]:
        return self.world.users

    @property
    def other_case(self) -> Case:
        return self.world.other_case


def private_storage_settings(settings: Any, location: Any) -> None:
    """Point private file storage at a temporary folder for the test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }


def embargo(case: Case, days: int = 30) -> Any:
    from disclosure.models import Embargo, EmbargoState

    public_at = timezone.now() + dt.timedelta(days=days)
    found, _ = Embargo.objects.update_or_create(
        case=case,
        defaults={"state": EmbargoState.ACTIVE, "public_at": public_at, "agreed_at": public_at},
    )
    return found


def make_world() -> World:
    """The personas, as tests/conftest.py makes them, and another project's case."""
    sirt = make_organisation(Organisation.Kind.SIRT, name="Akrites SIRT")
    maintainer_org = make_organisation(Organisation.Kind.MAINTAINER, name="libexample maintainers")
    other_maintainer_org = make_organisation(
        Organisation.Kind.MAINTAINER, name="fastparse maintainers"
    )
    partner_org = make_organisation(Organisation.Kind.PARTNER, name="Partner Corp")
    other_partner_org = make_organisation(Organisation.Kind.PARTNER, name="Other Partner Ltd")
    project = make_project(maintainer_org, name="libexample")
    other_project = make_project(other_maintainer_org, name="fastparse")
    coordinator = make_user("coord", organisation=sirt, first_name="Cora", last_name="Ordinator")
    other_maintainer = make_user("maint2", organisation=other_maintainer_org)
    users = {
        "anonymous": None,
        "outsider": make_user("outsider"),
        "reporter": make_user("reporter1"),
        "partner": make_user("partner_elsewhere", organisation=other_partner_org),
        "partner_in_case": make_user("partner", organisation=partner_org),
        "maintainer": make_user("maint", organisation=maintainer_org),
        "other_maintainer": other_maintainer,
        "coordinator": coordinator,
    }
    other_case = make_case(
        coordinator,
        project=other_project,
        maintainers=other_maintainer_org,
        title="ReDoS in fastparse date parsing",
        purl="pkg:npm/fastparse@2.3.0",
        vers="vers:npm/<2.3.1",
        cwe="CWE-1333",
    )
    return World(
        users=users,
        sirt=sirt,
        maintainer_org=maintainer_org,
        other_maintainer_org=other_maintainer_org,
        partner_org=partner_org,
        other_partner_org=other_partner_org,
        project=project,
        other_project=other_project,
        other_case=other_case,
    )


def add_embargoed_case(world: World, text: Callable[[str], str] = lambda what: what) -> Scenario:
    """The scenario's case and everything its URLs point at.

    ``text(field)`` gives each text field its content (the canary test makes every
    one a unique token).
    """
    users = world.users
    coordinator, maintainer, reporter = (
        users["coordinator"],
        users["maintainer"],
        users["reporter"],
    )
    case = make_case(
        coordinator,
        project=world.project,
        maintainers=world.maintainer_org,
        reporter=reporter,
        title=text("report title"),
        description=text("report description"),
    )
    services.add_participant(
        case, coordinator, organisation=world.partner_org, role=ParticipantRole.PARTNER
    )
    case = case.transition("accept", coordinator).transition("start", coordinator)
    case = case.update_details(
        coordinator,
        expected_version=case.version,
        title=text("case title"),
        summary=text("case summary"),
    )
    embargo_row = embargo(case)
    vulnerability = case.vulnerabilities.get()
    vulnerability = services.save_vulnerability(
        case,
        coordinator,
        vulnerability=vulnerability,
        expected_version=vulnerability.version,
        title=text("vulnerability title"),
        description=text("vulnerability description"),
        cwe="CWE-787",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        affected=[
            {
                "purl": "pkg:pypi/libexample",
                "vers": "vers:pypi/>=1.0|<1.4.2",
                "fixed_versions": ["1.4.2"],
            }
        ],
    )
    credit = Credit.objects.create(
        vulnerability=vulnerability, name=text("credit name"), consented=True
    )
    comment = services.post_comment(case, maintainer, text("comment body"))
    internal = services.post_comment(
        case,
        coordinator,
        text("internal comment body"),
        visibility=CommentVisibility.COORDINATORS,
    )
    attachment = services.store_attachment(
        ContentFile(text("attachment content").encode(), name=f"{text('attachment name')}.txt"),
        uploaded_by=maintainer,
        case=case,
    )
    new_report = make_report(
        reporter,
        title=text("new report title"),
        description=text("new report description"),
    )
    report_attachment = services.store_attachment(
        ContentFile(b"proof of concept\n", name=f"{text('report attachment name')}.txt"),
        uploaded_by=reporter,
        report=new_report,
    )
    proposal = EmbargoProposal.objects.create(
        embargo=embargo_row,
        public_at=embargo_row.public_at + dt.timedelta(days=7),
        reason=text("embargo proposal reason"),
        proposer=maintainer,
    )
    advisory = Advisory.objects.create(
        case=case,
        identifier="AKRITES-2026-9001",
        title=text("advisory title"),
        summary=text("advisory summary"),
        details=text("advisory details"),
        author=coordinator,
    )
    return Scenario(
        world=world,
        case=case,
        report=case.reports.get(),
        new_report=new_report,
        comment=comment,
        internal_comment=internal,
        attachment=attachment,
        report_attachment=report_attachment,
        vulnerability=vulnerability,
        participant=case.participants.get(organisation=world.partner_org),
        maintainer_participant=case.participants.get(role=ParticipantRole.MAINTAINER),
        proposal=proposal,
        advisory=advisory,
        extra={"credit": credit, "proposal": proposal, "advisory": advisory},
    )


def build_scenario(text: Callable[[str], str] = lambda what: what) -> Scenario:
    return add_embargoed_case(make_world(), text)


# --------------------------------------------------------------------------- URLconf


@dataclass(frozen=True)
class NamedURL:
    name: str  # "namespace:name", as reverse() takes it
    route: str  # the full route, for messages


def walk_urlconf(
    patterns: list | None = None, namespace: str = "", prefix: str = ""
) -> Iterator[NamedURL | str]:
    """Every URL pattern: a ``NamedURL``, or the route string of an unnamed one."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}{ns}:" if ns else namespace
            yield from walk_urlconf(entry.url_patterns, inner, route)
        elif isinstance(entry, URLPattern):
            if entry.name:
                yield NamedURL(f"{namespace}{entry.name}", route)
            else:
                yield route


def resolve_kwargs(spec: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """Table kwargs -> values: "a.b.c" paths on the scenario, callables, or literals."""
    values = {}
    for key, how in spec.items():
        if callable(how):
            values[key] = how(scenario)
        elif isinstance(how, str):
            value: Any = scenario
            for part in how.split("."):
                value = value[part] if isinstance(value, dict) else getattr(value, part)
            values[key] = value
        else:
            values[key] = how
    return values


def url_for(name: str, entry: dict[str, Any], scenario: Scenario) -> str:
    url = reverse(name, kwargs=resolve_kwargs(entry.get("kwargs", {}), scenario))
    query = entry.get("query")
    return f"{url}?{query}" if query else url
