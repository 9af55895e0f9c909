"""Builders for advisory tests: a case with several vulnerabilities in two projects,
CVSS 3.1 and 4.0, consenting and non-consenting credits, and an advisory walked
through the workflow with the real model methods."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases import services
from cases.models import Case, Credit, Organisation, Project
from disclosure.models import Advisory, Embargo, EmbargoState
from tests.disclosure.disc_factories import release_fix

CVSS31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
CVSS31_MEDIUM = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"
CVSS40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def enrich_case(case: Case, coordinator: Any, project: Project, other_project: Project) -> Case:
    """Give ``case`` a second project and three vulnerabilities across both."""
    services.add_project(case, coordinator, other_project)
    first = case.vulnerabilities.first()
    services.save_vulnerability(
        case,
        coordinator,
        vulnerability=first,
        title="Heap overflow in the chunk parser",
        description="A crafted chunk header overflows a heap buffer.",
        cwe="CWE-787",
        cvss3_vector=CVSS31,
        cvss4_vector=CVSS40,
        cve_id="CVE-2026-41001",
        affected=[
            {
                "purl": "pkg:pypi/libexample",
                "vers": "vers:pypi/>=1.0|<1.4.2",
                "fixed_versions": ["1.4.2"],
            }
        ],
    )
    services.save_vulnerability(
        case,
        coordinator,
        title="Quadratic time in the tokenizer",
        description="Deeply nested input takes quadratic time.",
        cwe="CWE-400",
        cvss3_vector=CVSS31_MEDIUM,
        cve_id="CVE-2026-41002",
        affected=[
            {
                "purl": "pkg:pypi/libexample",
                "vers": "vers:pypi/>=1.2|<1.4.2|>=2.0|<2.0.1",
                "fixed_versions": ["1.4.2", "2.0.1"],
            },
            {"purl": "pkg:pypi/fastparse", "vers": "vers:pypi/<=0.9.3", "fixed_versions": []},
        ],
    )
    third = services.save_vulnerability(
        case,
        coordinator,
        title="Use after free in fastparse streaming mode",
        description="Closing a stream twice frees the buffer twice.",
        cwe="CWE-416",
        cvss4_vector=CVSS40,
        affected=[
            {
                "purl": "pkg:npm/fastparse",
                "vers": "vers:npm/>=3.0.0|<3.1.5",
                "fixed_versions": ["3.1.5"],
            }
        ],
    )
    Credit.objects.create(vulnerability=third, name="Ada Finder", consented=True)
    Credit.objects.create(
        vulnerability=third, name="Shy Analyst", kind=Credit.Kind.ANALYST, consented=False
    )
    return case


def set_embargo(case: Case, public_at: dt.datetime, state: str = EmbargoState.ACTIVE) -> Embargo:
    embargo, _ = Embargo.objects.update_or_create(
        case=case, defaults={"state": state, "public_at": public_at}
    )
    return embargo


def summarised_draft(case: Case, author: Any, summary: str = "Update libexample.") -> Advisory:
    """A draft with a summary: "Start" leaves it empty when no vulnerability has a
    description, and an advisory without one cannot be submitted."""
    advisory = Advisory.create_for_case(case, author)
    return advisory.edit(author, expected_version=advisory.version, summary=summary)


def approved_advisory(case: Case, author: Any, reviewer: Any, **content: Any) -> Advisory:
    advisory = Advisory.create_for_case(case, author)
    advisory = advisory.edit(
        author,
        expected_version=advisory.version,
        title=content.get("title", "Several flaws in libexample and fastparse"),
        summary=content.get("summary", "Update libexample to 1.4.2 and fastparse to 3.1.5."),
        details=content.get("details", "## Impact\n\nRemote code execution."),
        workarounds=content.get("workarounds", "Reject chunk headers above 64 KiB."),
        references="https://git.example.org/libexample/commit/abc123 Fix commit",
    )
    advisory = advisory.submit(author)
    return advisory.approve(reviewer)


def published_advisory(case: Case, author: Any, reviewer: Any) -> Advisory:
    set_embargo(case, timezone.now() - dt.timedelta(minutes=1), EmbargoState.LIFTED)
    release_fix(case, author)  # the release gate: the fix is out before the advisory
    advisory = approved_advisory(case, author, reviewer)
    return advisory.publish(reviewer)


def revise_and_publish(
    advisory: Advisory, author: Any, reviewer: Any, *, revision_summary: str, **content: Any
) -> Advisory:
    """A reviewed revision: ``author`` edits and submits, ``reviewer`` approves and
    publishes (the four eyes a revision needs, as the first publication)."""
    if content:
        advisory = advisory.edit(author, expected_version=advisory.version, **content)
    advisory.submit_revision(author, summary=revision_summary)
    advisory = advisory.approve_change(reviewer)
    return advisory.publish_change(reviewer)


def make_sirt_member(sirt: Organisation, username: str) -> Any:
    from tests.factories import make_user

    return make_user(username, organisation=sirt)


# --------------------------------------------------------------------------- permission table
# kwargs builders for tests/permission_table.py (the scenario's advisory is an
# embargoed draft, so every public URL of it must answer 404).


def scenario_osv_id(s: Any) -> str:
    # The scenario's advisory is a draft: it has no OSV id yet; the first one of the
    # year is what it would get, and must not answer.
    from django.conf import settings

    return f"{settings.OSV_ID_PREFIX}-{s.extra['advisory'].year}-0001"


def scenario_cve_id(s: Any) -> str:
    from cases.models import Vulnerability

    Vulnerability.objects.filter(pk=s.vulnerability.pk).update(cve_id="CVE-2026-49001")
    return "CVE-2026-49001"


def scenario_csaf_year(s: Any) -> int:
    return s.extra["advisory"].year


def scenario_csaf_filename(s: Any) -> str:
    from disclosure.advisories.formats import csaf_filename

    return csaf_filename(s.extra["advisory"].identifier)
