"""Demo data of the advisories (run by ``seed_demo`` after ``disclosure.demo``).

Two cases, each across libexample and fastparse, with CVSS 3.1 and 4.0 vectors:

- "Path traversal in archive extraction": closed, embargo lifted, advisory
  published (revision 2 after a correction), so the public site is never empty;
- "XML entity expansion in the config loaders": embargoed (public in six days),
  its advisory reviewed by a second coordinator and scheduled: it appears on the
  public site when ``publish_advisories`` runs after the embargo lifts.

The embargoed libexample case of the cases demo is left without an advisory, for
the coordinator to take through the workflow by hand.

Idempotent: a case is found by its title before anything is created; everything
goes through the real services and model methods.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases import services
from cases.demo import cast, public_date
from cases.models import Case
from cases.types import User
from disclosure import services as disclosure_services
from disclosure.advisories import services as advisory_services
from disclosure.models import Advisory, AdvisoryState, EmbargoPolicy

PUBLISHED_TITLE = "Path traversal in archive extraction of libexample and fastparse"
SCHEDULED_TITLE = "XML entity expansion in the config loaders of libexample and fastparse"


def _open_case(c: Any, *, title: str, summary: str, report: dict[str, Any]) -> Case | None:
    if Case.objects.filter(title=title).exists():
        return None
    submitted, _ = services.submit_report(reporter=c["researcher"], **report)
    case = services.open_case_from_report(
        submitted,
        c["coordinator"],
        title=title,
        summary=summary,
        projects=[c.libexample, c.fastparse],
    )
    for team in (c.libexample_team, c.fastparse_team):
        services.add_participant(
            case, c["coordinator"], organisation=team, role="maintainer", notify=False
        )
    case = services.transition_case(case, c["coordinator"], "accept")
    return services.transition_case(case, c["coordinator"], "start")


def _vulnerabilities(case: Case, coordinator: User, vulns: list[dict[str, Any]]) -> None:
    """Complete the vulnerability triage created and add the others. The researcher is
    credited on the first one by the filing of her report (``open_case_from_report``)."""
    first = case.vulnerabilities.first()
    assert first is not None, "open_case_from_report created the first vulnerability"
    for n, fields in enumerate(vulns):
        services.save_vulnerability(
            case,
            coordinator,
            vulnerability=first if n == 0 else None,
            expected_version=first.version if n == 0 else None,
            **fields,
        )


def _advisory(case: Case, c: Any, **content: Any) -> Advisory:
    advisory = advisory_services.start_advisory(case, c["coordinator"])
    advisory = advisory_services.edit_advisory(
        advisory, c["coordinator"], expected_version=advisory.version, **content
    )
    advisory = advisory_services.take_step(advisory, c["coordinator"], "submit")
    return advisory_services.take_step(advisory, c["coordinator2"], "approve")


def _release_fixes(case: Case, coordinator: User) -> None:
    """Every project of the case releases its fix: the release gate lets the advisory
    go public only after that (disclosure/README.md, "Release gate")."""
    plan = disclosure_services.save_release_plan(
        case, coordinator, target_at=timezone.now(), expected_version=None
    )
    for release in plan.project_releases.all():
        disclosure_services.update_project_release(
            release, coordinator, fix_url="", status="released", expected_version=None
        )


def _published(c: Any) -> None:
    case = _open_case(
        c,
        title=PUBLISHED_TITLE,
        summary="Archive members named `../x` are written outside the target directory.",
        report={
            "title": "Zip slip in libexample.extract()",
            "description": "A crafted archive writes files outside the extraction folder.",
            "purl": "pkg:pypi/libexample@1.1.0",
            "vers": "vers:pypi/<1.3.0",
            "cwe": "CWE-22",
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N",
        },
    )
    if case is None:
        return
    coordinator = c["coordinator"]
    _vulnerabilities(
        case,
        coordinator,
        [
            {
                "title": "Path traversal in libexample.extract()",
                "description": "Member names are joined to the target without normalisation.",
                "cwe": "CWE-22",
                "cve_id": "CVE-2026-31337",
                "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N",
                "cvss4_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N",
                "affected": [
                    {
                        "purl": "pkg:pypi/libexample",
                        "vers": "vers:pypi/>=1.0|<1.3.0",
                        "fixed_versions": ["1.3.0"],
                    }
                ],
            },
            {
                "title": "Symlink following in fastparse.untar()",
                "description": "A symlink member lets later members escape the target.",
                "cwe": "CWE-59",
                "cve_id": "CVE-2026-31338",
                "cvss3_vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N",
                "affected": [
                    {
                        "purl": "pkg:npm/fastparse",
                        "vers": "vers:npm/>=1.0.0|<2.2.4",
                        "fixed_versions": ["2.2.4"],
                    }
                ],
            },
        ],
    )
    case = services.transition_case(case, coordinator, "mark_fix_ready")
    case = services.transition_case(case, coordinator, "release")
    _release_fixes(case, coordinator)
    disclosure_services.start_clock(
        case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="standard"),
        started_at=timezone.now() - dt.timedelta(days=120),
        started_by="Report received from the researcher",
    )
    embargo = disclosure_services.get_or_create_embargo(case)
    disclosure_services.lift_embargo(embargo, coordinator)
    advisory = _advisory(
        case,
        c,
        title="Path traversal in archive extraction (libexample, fastparse)",
        summary="Extracting a crafted archive with libexample before 1.3.0 or fastparse "
        "before 2.2.4 writes files outside the target directory. Update both.",
        details="## Impact\n\nAn attacker who can supply an archive can overwrite files "
        "the extracting process may write, such as configuration or cron files.",
        workarounds="Extract untrusted archives in an empty, unprivileged sandbox directory.",
        references="https://github.com/example/libexample/commit/9a1c3e7 libexample fix\n"
        "https://github.com/example/fastparse/releases/tag/v2.2.4 fastparse 2.2.4",
    )
    advisory = advisory_services.take_step(advisory, c["coordinator2"], "publish")
    # A revision is reviewed like the first publication: submitted by one coordinator,
    # approved and published by a second.
    advisory = advisory_services.revise_advisory(
        advisory,
        coordinator,
        expected_version=advisory.version,
        revision_summary="Name the fastparse release that carries the fix.",
        summary=advisory.summary + " fastparse 2.2.4 was released on the same day.",
    )
    advisory = advisory_services.take_step(advisory, c["coordinator2"], "approve")
    advisory_services.take_step(advisory, c["coordinator2"], "publish")
    case.refresh_from_db()
    if case.state != "closed":
        services.transition_case(case, coordinator, "close")


def _scheduled(c: Any) -> None:
    case = _open_case(
        c,
        title=SCHEDULED_TITLE,
        summary="Both config loaders expand nested XML entities without a limit.",
        report={
            "title": "Billion laughs in libexample.load_config()",
            "description": "A 1 KB config file expands to gigabytes in memory.",
            "purl": "pkg:pypi/libexample@1.4.0",
            "vers": "vers:pypi/>=1.2|<1.4.3",
            "cwe": "CWE-776",
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        },
    )
    if case is None:
        return
    coordinator = c["coordinator"]
    _vulnerabilities(
        case,
        coordinator,
        [
            {
                "title": "Entity expansion in libexample.load_config()",
                "description": "Nested entities are expanded without a depth or size limit.",
                "cwe": "CWE-776",
                "cve_id": "CVE-2026-31401",
                "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "cvss4_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
                "affected": [
                    {
                        "purl": "pkg:pypi/libexample",
                        "vers": "vers:pypi/>=1.2|<1.4.3",
                        "fixed_versions": ["1.4.3"],
                    }
                ],
            },
            {
                "title": "External entities resolved by fastparse.xml()",
                "description": "SYSTEM entities are fetched, so a config file can read "
                "local files.",
                "cwe": "CWE-611",
                "cve_id": "CVE-2026-31402",
                "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                "cvss4_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                "affected": [
                    {
                        "purl": "pkg:npm/fastparse",
                        "vers": "vers:npm/>=2.0.0|<2.3.2",
                        "fixed_versions": ["2.3.2"],
                    }
                ],
            },
        ],
    )
    disclosure_services.start_clock(
        case,
        coordinator,
        policy=EmbargoPolicy.objects.get(code="custom"),
        started_by="Date agreed with both maintainer teams",
        deadline=public_date(6),
    )
    advisory = _advisory(
        case,
        c,
        title="XML entity expansion in the config loaders (libexample, fastparse)",
        summary="libexample before 1.4.3 and fastparse before 2.3.2 expand XML entities "
        "in configuration files without limits. Update both.",
        details="## Impact\n\nA configuration file from an untrusted source exhausts "
        "memory (libexample) or reads local files (fastparse).",
        references="https://github.com/example/libexample/pull/497 libexample fix",
    )
    if advisory.state == AdvisoryState.APPROVED:
        advisory_services.take_step(advisory, coordinator, "schedule")


def seed() -> None:
    c = cast()
    with transaction.atomic():
        _published(c)
    with transaction.atomic():
        _scheduled(c)
