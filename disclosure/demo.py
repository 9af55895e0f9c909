"""Demo data of the embargo and release features (run by ``seed_demo`` after the cases).

Idempotent: each step looks for what it would create first. Everything goes through
``disclosure.services`` so the timeline reads as in real use. The advisory demo data
is the advisory module's.

The embargoed libexample case tells this story: the maintainers proposed a date 30
days out and a coordinator accepted it (18 days ago); it was superseded when Example
Linux posted to the distros list two days ago (the 14-day maximum governs now); the
maintainers propose to keep the original date, which needs a coordinator's override.
The release is planned for the distros deadline, with Brightline and Example Linux
pre-notified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.demo import cast, public_date
from cases.models import Case, Organisation, Report
from cases.types import User
from disclosure import services
from disclosure.models import (
    Embargo,
    EmbargoPolicy,
    EmbargoProposal,
    PreNotification,
    ProjectRelease,
    ReleasePlan,
    ReleaseStatus,
)

LIBEXAMPLE_TITLE = "Heap buffer overflow in libexample chunked decoder"
FASTPARSE_TITLE = "Regular expression denial of service in fastparse.parseDate()"


def _user(username: str) -> Any:
    return get_user_model().objects.filter(username=username).first()


def _noon(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)


def _libexample(coordinator: User, maintainer: User) -> None:
    case = Case.objects.filter(title=LIBEXAMPLE_TITLE).first()
    if case is None:
        return
    embargo = services.get_or_create_embargo(case)
    if not embargo.proposals.exists():
        # The date agreed with the maintainers when the work started.
        agreed = services.propose_date(
            case,
            maintainer,
            public_at=public_date(30),
            reason="Thirty days: the fix is small, but two downstream products embed us.",
        )
        services.accept_proposal(agreed, coordinator, reason="Agreed with the maintainers.")
        when = _noon(timezone.now() - dt.timedelta(days=18))
        EmbargoProposal.objects.filter(pk=agreed.pk).update(created_at=when, decided_at=when)
        Embargo.objects.filter(pk=embargo.pk).update(created_at=when)
    if not embargo.clocks.exists():
        report = Report.objects.filter(case=case).order_by("received_at").first()
        received = report.received_at if report else case.created_at
        services.start_clock(
            case,
            coordinator,
            policy=EmbargoPolicy.objects.get(code="standard"),
            started_at=received,
            started_by="Report received from the researcher",
        )
        posted = _noon(timezone.now() - dt.timedelta(days=2))
        services.start_clock(
            case,
            coordinator,
            policy=EmbargoPolicy.objects.get(code="distros"),
            started_at=posted,
            started_by="Example Linux posted the issue to the linux-distros list",
        )
    embargo.refresh_from_db()
    if embargo.proposals.count() == 1 and embargo.is_active:
        services.propose_date(
            case,
            maintainer,
            public_at=public_date(30),
            reason="Keep the date we agreed: two downstream products need the full 30 days "
            "to test the patch. The distros post came too early.",
        )
    plan = ReleasePlan.objects.filter(case=case).first()
    if plan is None:
        embargo.refresh_from_db()
        plan = services.save_release_plan(
            case, coordinator, target_at=embargo.public_at, expected_version=None
        )
        release = ProjectRelease.objects.filter(plan=plan).first()
        if release is not None:
            services.update_project_release(
                release,
                maintainer,
                fixed_versions=["1.4.2"],
                fix_url="https://github.com/example/libexample/pull/482",
                status=ReleaseStatus.READY,
                expected_version=release.version,
            )
        for slug in ("brightline-security", "example-linux"):
            org = Organisation.objects.filter(slug=slug).first()
            if (
                org is not None
                and not PreNotification.objects.filter(plan=plan, organisation=org).exists()
            ):
                services.add_pre_notification(case, coordinator, organisation=org)


def _fastparse(coordinator: User, maintainer: User) -> None:
    """A fix ready on another case, so the metrics page has a second data point."""
    case = Case.objects.filter(title=FASTPARSE_TITLE).first()
    if case is None or ReleasePlan.objects.filter(case=case).exists():
        return
    target = _noon(timezone.now() + dt.timedelta(days=9))
    while target.weekday() >= 5:
        target += dt.timedelta(days=1)
    # The maintainer starts the plan and proposes the date; a coordinator sets it.
    services.propose_release_target(case, maintainer, target_at=target, expected_version=None)
    plan = services.save_release_plan(case, coordinator, target_at=target, expected_version=None)
    release = ProjectRelease.objects.filter(plan=plan).first()
    if release is not None:
        services.update_project_release(
            release,
            maintainer,
            fixed_versions=["2.3.1"],
            fix_url="https://github.com/example/fastparse/commit/4f9e2b1",
            status=ReleaseStatus.READY,
            expected_version=release.version,
        )


HISTORIC_TITLE = "Out-of-bounds read in fastparse number parser"


def _historic() -> None:
    """A case from two months ago, released and deployed: data for the metrics page.

    Services stamp "now"; the measured timestamps are then moved back (the timeline
    keeps the time it was written, as in the cases demo).
    """
    if Case.objects.filter(title=HISTORIC_TITLE).exists():
        return
    c = cast()
    coordinator = c["coordinator"]
    report, _ = case_services.submit_report(
        reporter=c["researcher"],
        title="Out-of-bounds read when parsing long exponents",
        description="`fastparse.parseNumber('1e' + '9' * 5000)` reads past the digit buffer.",
        purl="pkg:npm/fastparse@2.1.0",
        vers="vers:npm/<2.2.0",
        cwe="CWE-125",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:L",
    )
    case = case_services.open_case_from_report(
        report, coordinator, title=HISTORIC_TITLE, projects=[c.fastparse]
    )
    for org, role in (
        (c.fastparse_team, "maintainer"),
        (c.partner_org, "partner"),
        (c.downstream_org, "downstream"),
    ):
        case_services.add_participant(case, coordinator, organisation=org, role=role, notify=False)
    plan = services.save_release_plan(
        case, coordinator, target_at=timezone.now(), expected_version=None
    )
    release = ProjectRelease.objects.get(plan=plan)
    services.update_project_release(
        release,
        c["maintainer2"],
        fixed_versions=["2.2.0"],
        fix_url="https://github.com/example/fastparse/commit/9b1c0de",
        status=ReleaseStatus.RELEASED,
        expected_version=None,
    )
    for org in (c.partner_org, c.downstream_org):
        services.report_deployment(case, coordinator, organisation=org, status="deployed")
    for step in ("accept", "start", "mark_fix_ready", "release", "close"):
        case = case_services.transition_case(case, coordinator, step)

    opened = _noon(timezone.now() - dt.timedelta(days=62))
    Case.objects.filter(pk=case.pk).update(created_at=opened, updated_at=opened)
    Report.objects.filter(pk=report.pk).update(received_at=opened, updated_at=opened)
    case.participants.update(invited_at=opened + dt.timedelta(hours=2))
    case.participants.filter(role="maintainer").update(
        acknowledged_at=opened + dt.timedelta(days=1, hours=5)
    )
    fixed, released = opened + dt.timedelta(days=19), opened + dt.timedelta(days=26)
    ProjectRelease.objects.filter(pk=release.pk).update(ready_at=fixed, released_at=released)
    ReleasePlan.objects.filter(pk=plan.pk).update(
        target_at=released, fixed_at=fixed, released_at=released
    )
    for org, days in ((c.partner_org, 3), (c.downstream_org, 9)):
        moment = released + dt.timedelta(days=days)
        case.deployment_reports.filter(organisation=org).update(
            reported_at=moment, deployed_at=moment
        )


def seed() -> None:
    coordinator = _user("coordinator")
    if coordinator is None:
        return
    with transaction.atomic():
        _libexample(coordinator, _user("maintainer") or coordinator)
    with transaction.atomic():
        _fastparse(coordinator, _user("maintainer2") or coordinator)
    with transaction.atomic():
        _historic()
