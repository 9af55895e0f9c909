"""Small ``make_*`` factory functions for tests. Each calls the real services."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from cases import services
from cases.models import Case, Organisation, Project, Report

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(
    username: str | None = None, *, organisation: Organisation | None = None, **extra: Any
) -> Any:
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **extra
    )
    if organisation is not None:
        organisation.add_member(user)
    return user


def make_organisation(
    kind: str = Organisation.Kind.PARTNER, name: str | None = None
) -> Organisation:
    n = next(_seq)
    name = name or f"{kind.title()} Org {n}"
    slug = name.lower().replace(" ", "-")
    return Organisation.create(name=name, slug=slug, kind=kind)


def make_project(organisation: Organisation, name: str | None = None) -> Project:
    name = name or f"project{next(_seq)}"
    return Project.objects.create(
        name=name,
        slug=name.lower(),
        organisation=organisation,
        repository_url=f"https://git.example.org/{name}",
        purls=[f"pkg:pypi/{name.lower()}"],
    )


def make_report(reporter: Any, **fields: Any) -> Report:
    defaults = {
        "title": f"Heap overflow in parser {next(_seq)}",
        "description": "A crafted input overflows the buffer.",
        "purl": "pkg:pypi/libexample@1.2.0",
        "vers": "vers:pypi/>=1.0|<1.4.2",
        "cwe": "CWE-787",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    }
    defaults.update(fields)
    report, _ = services.submit_report(reporter=reporter, **defaults)
    return report


def make_case(
    coordinator: Any,
    *,
    project: Project | None = None,
    maintainers: Organisation | None = None,
    reporter: Any = None,
    **report_fields: Any,
) -> Case:
    """A case opened from a fresh report, with the project's maintainers invited."""
    reporter = reporter or make_user()
    report = make_report(reporter, **report_fields)
    case = services.open_case_from_report(
        report, coordinator, projects=[project] if project else []
    )
    if maintainers is not None:
        services.add_participant(
            case, coordinator, organisation=maintainers, role="maintainer", notify=False
        )
    return case
