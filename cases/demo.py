"""Demo data for `make run`: organisations, accounts, projects, reports and cases.

``seed()`` is idempotent: every object is found by a natural key (username, slug,
the reporter plus the content of their report) before it is created, and a case is
built, in one transaction, only when its founding report is new. Everything goes
through ``cases.services`` so timelines and grants are written as the app writes
them. Services stamp "now"; afterwards the non-timeline timestamps are moved back
over the past weeks so lists look lived-in (timeline entries are append-only and
keep the time they were written).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseAccessRecord,
    Comment,
    CommentVisibility,
    Credit,
    Organisation,
    Participant,
    ParticipantRole,
    Project,
    Report,
    Vulnerability,
)
from cases.types import User

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo credential, demo DB only

# (username, what the account shows), printed by `make run`.
DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("coordinator", "SIRT coordinator: every case, the triage queue"),
    ("coordinator2", "second SIRT coordinator (advisory reviews)"),
    ("maintainer", "libexample maintainer: its cases, one under embargo"),
    ("maintainer2", "fastparse maintainer: its cases"),
    ("partner", "industry partner (Brightline Security): pre-notified on the embargoed case"),
    ("downstream", "downstream distro (Example Linux): pre-notified on the embargoed case"),
    ("researcher", "independent researcher: a reporter's view of her cases"),
    ("outsider", "member of no case: sees nothing confidential"),
]

Role = ParticipantRole
Kind = Organisation.Kind


# --------------------------------------------------------------------------- people


@dataclass
class Cast:
    sirt: Organisation
    libexample_team: Organisation
    fastparse_team: Organisation
    partner_org: Organisation
    downstream_org: Organisation
    libexample: Project
    fastparse: Project
    users: dict[str, Any]

    def __getitem__(self, username: str) -> Any:
        return self.users[username]


ORGANISATIONS = {
    "akrites-sirt": ("Akrites SIRT", Kind.SIRT),
    "libexample-maintainers": ("libexample maintainers", Kind.MAINTAINER),
    "fastparse-maintainers": ("fastparse maintainers", Kind.MAINTAINER),
    "brightline-security": ("Brightline Security", Kind.PARTNER),
    "example-linux": ("Example Linux security team", Kind.DOWNSTREAM),
}

# username -> (first name, last name, organisation slug or None, membership role)
USERS = {
    "coordinator": ("Alex", "Morgan", "akrites-sirt", "admin"),
    "coordinator2": ("Jordan", "Lee", "akrites-sirt", "member"),
    "maintainer": ("Priya", "Natarajan", "libexample-maintainers", "admin"),
    "maintainer2": ("Tomás", "Ortega", "fastparse-maintainers", "admin"),
    "partner": ("Kim", "Schmidt", "brightline-security", "admin"),
    "downstream": ("Ana", "Souza", "example-linux", "member"),
    "researcher": ("Rosa", "Fischer", None, "member"),
    "outsider": ("Olu", "Adeyemi", None, "member"),
}


def _organisation(slug: str) -> Organisation:
    name, kind = ORGANISATIONS[slug]
    found = Organisation.objects.filter(slug=slug).first()
    return found or Organisation.create(name=name, slug=slug, kind=kind)


def _user(username: str, orgs: dict[str, Organisation]) -> Any:
    first, last, org_slug, role = USERS[username]
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username,
            email=f"{username}@demo.akrites.invalid",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
    if org_slug and not orgs[org_slug].members.filter(pk=user.pk).exists():
        orgs[org_slug].add_member(user, role=role)
    return user


def _project(name: str, team: Organisation, purl: str, repository: str) -> Project:
    project, _ = Project.objects.get_or_create(
        slug=name,
        defaults={
            "name": name,
            "organisation": team,
            "repository_url": repository,
            "purls": [purl],
        },
    )
    return project


def cast() -> Cast:
    """Organisations, accounts and projects (found or created)."""
    orgs = {slug: _organisation(slug) for slug in ORGANISATIONS}
    users = {username: _user(username, orgs) for username in USERS}
    return Cast(
        sirt=orgs["akrites-sirt"],
        libexample_team=orgs["libexample-maintainers"],
        fastparse_team=orgs["fastparse-maintainers"],
        partner_org=orgs["brightline-security"],
        downstream_org=orgs["example-linux"],
        libexample=_project(
            "libexample",
            orgs["libexample-maintainers"],
            "pkg:pypi/libexample",
            "https://github.com/example/libexample",
        ),
        fastparse=_project(
            "fastparse",
            orgs["fastparse-maintainers"],
            "pkg:npm/fastparse",
            "https://github.com/example/fastparse",
        ),
        users=users,
    )


# --------------------------------------------------------------------------- helpers


def _ago(days: float, hour: int = 10) -> dt.datetime:
    moment = timezone.now() - dt.timedelta(days=days)
    return moment.replace(hour=hour, minute=(int(days * 37) % 60), second=0, microsecond=0)


def public_date(days_ahead: int) -> dt.datetime:
    """The portal's default shape of a public date: 12:00 UTC, moved off weekends."""
    day = (timezone.now() + dt.timedelta(days=days_ahead)).astimezone(dt.UTC)
    day = day.replace(hour=12, minute=0, second=0, microsecond=0)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _submit(
    reporter: User, organisation: Organisation | None, when: dt.datetime, **fields: Any
) -> tuple[Report, bool]:
    report, created = services.submit_report(reporter=reporter, organisation=organisation, **fields)
    if created:
        Report.objects.filter(pk=report.pk).update(received_at=when, updated_at=when)
    return report, created


def _comment(
    case: Case,
    author: User,
    when: dt.datetime,
    body: str,
    visibility: str = CommentVisibility.ALL,
    organisation: Organisation | None = None,
) -> Comment:
    comment = services.post_comment(
        case, author, body, visibility=visibility, organisation=organisation
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=when)
    return comment


def _invite(
    case: Case,
    actor: User,
    organisation: Organisation,
    role: str,
    when: dt.datetime,
    acknowledged_by: Any = None,
    acknowledged_when: dt.datetime | None = None,
) -> Participant:
    participant = services.add_participant(case, actor, organisation=organisation, role=role)
    Participant.objects.filter(pk=participant.pk).update(invited_at=when)
    if acknowledged_by is not None:
        services.acknowledge(case, acknowledged_by)
        Participant.objects.filter(pk=participant.pk).update(acknowledged_at=acknowledged_when)
    return participant


def _vulnerability(
    case: Case, actor: User, when: dt.datetime, *, affected: list[dict], **fields: Any
) -> Vulnerability:
    """Complete the vulnerability that triage created from the report."""
    vuln = case.vulnerabilities.first()
    vuln = services.save_vulnerability(
        case,
        actor,
        vulnerability=vuln,
        expected_version=vuln.version if vuln else None,
        affected=affected,
        **fields,
    )
    Vulnerability.objects.filter(pk=vuln.pk).update(created_at=when, updated_at=when)
    return vuln


def _opened(case: Case, when: dt.datetime) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=when)
    case.participants.filter(role=Role.COORDINATOR).update(invited_at=when)
    case.participants.filter(role=Role.REPORTER).update(invited_at=when)


def _settle(case: Case, last_activity: dt.datetime) -> None:
    Case.objects.filter(pk=case.pk).update(updated_at=last_activity)
    case.reports.update(updated_at=last_activity)


def _looked(case: Case, user: User, when: dt.datetime, what: str = "case detail") -> None:
    services.record_view(case, user, what)
    CaseAccessRecord.objects.filter(case=case, user=user, what=what).update(at=when)


# --------------------------------------------------------------------------- cases


def _embargoed_libexample_case(c: Cast) -> None:
    coordinator, maintainer = c["coordinator"], c["maintainer"]
    report, created = _submit(
        c["researcher"],
        None,
        _ago(21, 8),
        title="Heap buffer overflow in libexample's chunked transfer decoder",
        description=(
            "`libexample.http.ChunkedDecoder.feed()` trusts the chunk-size line. A size of\n"
            "`ffffffffffffffff` wraps the length check and the decoder copies past the end of\n"
            "its buffer.\n\n"
            "## Reproduce\n\n"
            "1. `pip install libexample==1.4.1`\n"
            "2. Run the attached `poc_chunked.py` against the example server.\n\n"
            "The process crashes with a segmentation fault; with a shaped payload I get\n"
            "control of the instruction pointer."
        ),
        purl="pkg:pypi/libexample@1.4.1",
        vers="vers:pypi/>=1.2.0|<1.4.2",
        cwe="CWE-122",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    if not created:
        return
    case = services.open_case_from_report(
        report,
        coordinator,
        title="Heap buffer overflow in libexample chunked decoder",
        summary=(
            "A crafted chunk-size line makes the chunked transfer decoder write past its "
            "buffer: remote code execution in any server that parses untrusted HTTP bodies "
            "with libexample."
        ),
        projects=[c.libexample],
    )
    _opened(case, _ago(20, 9))
    _invite(
        case,
        coordinator,
        c.libexample_team,
        Role.MAINTAINER,
        _ago(20, 10),
        acknowledged_by=maintainer,
        acknowledged_when=_ago(19, 8),
    )
    case = services.transition_case(case, coordinator, "accept")
    services.store_attachment(
        SimpleUploadedFile(
            "poc_chunked.py",
            b"# Proof of concept: chunk size that wraps the length check\n"
            b"import socket\n\n"
            b"payload = b'POST / HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n'\n"
            b"payload += b'ffffffffffffffff\\r\\n' + b'A' * 64 + b'\\r\\n0\\r\\n\\r\\n'\n"
            b"socket.create_connection(('127.0.0.1', 8080)).sendall(payload)\n",
        ),
        uploaded_by=c["researcher"],
        case=case,
    )
    case.attachments.update(uploaded_at=_ago(20, 9))
    _comment(
        case,
        maintainer,
        _ago(19, 9),
        "Confirmed on 1.4.1 and on main. The length check adds the chunk size to the "
        "buffer offset before comparing, so it wraps. Fix is a checked addition; we are "
        "writing a regression test now.",
    )
    _vulnerability(
        case,
        maintainer,
        _ago(19, 11),
        title="Heap buffer overflow in ChunkedDecoder.feed()",
        description=(
            "An integer overflow in the chunk-size length check of "
            "`libexample.http.ChunkedDecoder.feed()` lets a remote client write past the "
            "end of the decode buffer."
        ),
        cwe="CWE-122",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        affected=[
            {
                "purl": "pkg:pypi/libexample",
                "vers": "vers:pypi/>=1.2.0|<1.4.2",
                "fixed_versions": ["1.4.2"],
            }
        ],
    )
    # The embargo (the date agreed with the maintainers, then the clocks) is the
    # disclosure demo's: this app knows nothing of embargoes.
    case = services.transition_case(case, coordinator, "start")
    _comment(
        case,
        coordinator,
        _ago(18, 15),
        "Public date agreed with the maintainers (see the embargo panel). We will "
        "pre-notify one industry partner and the Example Linux security team under "
        "embargo once the patch is reviewed.",
    )
    _comment(
        case,
        coordinator,
        _ago(15, 16),
        "Internal: Brightline's scanner flagged the same decoder last month without a "
        "PoC. Keep their pre-notification to the patch only, no exploit details.",
        visibility=CommentVisibility.COORDINATORS,
    )
    _comment(
        case,
        coordinator,
        _ago(12, 10),
        "For the libexample team only: please send the patch as an attachment here rather "
        "than pushing a branch to the public repository.",
        visibility=CommentVisibility.ORGANISATION,
        organisation=c.libexample_team,
    )
    _invite(
        case,
        coordinator,
        c.partner_org,
        Role.PARTNER,
        _ago(10, 9),
        acknowledged_by=c["partner"],
        acknowledged_when=_ago(9, 13),
    )
    _invite(case, coordinator, c.downstream_org, Role.DOWNSTREAM, _ago(10, 9))
    _comment(
        case,
        c["partner"],
        _ago(9, 14),
        "Thanks. Two of our products embed libexample 1.4.x; we will test the patch "
        "as soon as it is shared and report deployment here.",
    )
    credit = services.add_credit(
        case.vulnerabilities.get(),
        maintainer,
        name="Priya Natarajan",
        kind=Credit.Kind.REMEDIATION_DEVELOPER,
        user=maintainer,
    )
    services.set_credit_consent(credit, maintainer, True)
    _looked(case, maintainer, _ago(2, 16))
    _looked(case, c["partner"], _ago(9, 13))
    _looked(case, c["downstream"], _ago(3, 11))
    _settle(case, _ago(2, 16))


def _open_libexample_case(c: Cast) -> None:
    coordinator = c["coordinator"]
    report, created = _submit(
        c["researcher"],
        None,
        _ago(6, 7),
        title="Path traversal in libexample archive extraction",
        description=(
            "`libexample.archive.extract_all(path, dest)` joins member names onto `dest` "
            "without normalising them. A tar member named `../../.bashrc` is written "
            "outside the destination directory.\n\nTested on 1.4.1."
        ),
        purl="pkg:pypi/libexample@1.4.1",
        vers="vers:pypi/<1.4.2",
        cwe="CWE-22",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
    )
    if not created:
        return
    case = services.open_case_from_report(
        report,
        coordinator,
        summary=(
            "Archive members with `..` in their names escape the extraction directory; "
            "a user who extracts a crafted archive has files overwritten."
        ),
        projects=[c.libexample],
    )
    _opened(case, _ago(5, 10))
    case = services.transition_case(case, coordinator, "accept")
    _invite(case, coordinator, c.libexample_team, Role.MAINTAINER, _ago(5, 11))
    _vulnerability(
        case,
        coordinator,
        _ago(5, 11),
        title="Path traversal in archive.extract_all()",
        description="Member names are not normalised before being joined to the destination.",
        cwe="CWE-22",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
        affected=[{"purl": "pkg:pypi/libexample", "vers": "vers:pypi/<1.4.2"}],
    )
    _comment(
        case,
        coordinator,
        _ago(5, 12),
        "libexample team: could you confirm this and tell us whether 1.3.x is affected "
        "too? The reporter tested 1.4.1 only.",
    )
    _comment(
        case,
        c["researcher"],
        _ago(4, 9),
        "1.3.7 is affected as well; same code path. Happy to test a patch.",
    )
    _settle(case, _ago(4, 9))


def _fastparse_case(c: Cast) -> None:
    coordinator, maintainer2 = c["coordinator"], c["maintainer2"]
    report, created = _submit(
        c["researcher"],
        None,
        _ago(34, 8),
        title="ReDoS in fastparse date parsing",
        description=(
            "`fastparse.parseDate()` uses `/^(\\d+\\s?)+[A-Z]$/`; an input of 40 digits and "
            "spaces followed by `!` takes minutes. Any service that parses user-supplied "
            "dates with fastparse can be stalled with one request."
        ),
        purl="pkg:npm/fastparse@2.3.0",
        vers="vers:npm/>=2.0.0|<2.3.1",
        cwe="CWE-1333",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    )
    if not created:
        return
    case = services.open_case_from_report(
        report,
        coordinator,
        title="Regular expression denial of service in fastparse.parseDate()",
        summary="Catastrophic backtracking in the date pattern stalls the event loop.",
        projects=[c.fastparse],
    )
    _opened(case, _ago(33, 9))
    _invite(
        case,
        coordinator,
        c.fastparse_team,
        Role.MAINTAINER,
        _ago(33, 10),
        acknowledged_by=maintainer2,
        acknowledged_when=_ago(32, 15),
    )
    case = services.transition_case(case, coordinator, "accept")
    case = services.transition_case(case, coordinator, "start")
    _vulnerability(
        case,
        maintainer2,
        _ago(30, 10),
        title="ReDoS in parseDate()",
        description="Nested quantifiers in the date pattern backtrack exponentially.",
        cwe="CWE-1333",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        cvss4_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
        affected=[
            {
                "purl": "pkg:npm/fastparse",
                "vers": "vers:npm/>=2.0.0|<2.3.1",
                "fixed_versions": ["2.3.1"],
            }
        ],
    )
    _comment(
        case,
        maintainer2,
        _ago(8, 17),
        "2.3.1 replaces the pattern with a linear scanner; the release candidate is "
        "on our private registry. Ready to publish whenever the date is set.",
    )
    _comment(
        case,
        coordinator,
        _ago(7, 9),
        "Note for SIRT: no downstream pre-notification needed, npm consumers update directly.",
        visibility=CommentVisibility.COORDINATORS,
    )
    case = services.transition_case(case, coordinator, "mark_fix_ready")
    _comment(case, coordinator, _ago(7, 10), "Thanks! Marked fix ready; advisory draft next.")
    _settle(case, _ago(7, 10))


def _triage_queue(c: Cast) -> None:
    """Three new reports; the first two describe the same flaw (a duplicate to spot)."""
    _submit(
        c["partner"],
        c.partner_org,
        _ago(2, 6),
        title="XML external entity (XXE) injection in libexample config loader",
        description=(
            "Automated finding (Brightline Scanner 5.2, rule PY-XXE-004).\n\n"
            "`libexample.config.load_config()` parses XML with external entities enabled. "
            'A config file that declares `<!ENTITY x SYSTEM "file:///etc/passwd">` '
            "discloses local files.\n\nAffected: 1.4.1 (and likely earlier)."
        ),
        purl="pkg:pypi/libexample@1.4.1",
        vers="vers:pypi/>=1.3.0|<1.5.0",
        cwe="CWE-611",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    )
    _submit(
        c["researcher"],
        None,
        _ago(1, 15),
        title="libexample load_config() resolves external XML entities (XXE)",
        description=(
            "`load_config()` in libexample uses an XML parser with external entity "
            "resolution on. A crafted config file with an external entity pointing at "
            "`file:///etc/passwd` returns the file's content in the parsed config.\n\n"
            "Tested on 1.4.0 and 1.4.1."
        ),
        purl="pkg:pypi/libexample@1.4.0",
        vers="vers:pypi/>=1.4.0|<1.6.0",
        cwe="CWE-611",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    )
    _submit(
        c["downstream"],
        c.downstream_org,
        _ago(0.3, 9),
        title="Prototype pollution in fastparse.merge()",
        description=(
            "`fastparse.merge(target, JSON.parse(input))` copies `__proto__` keys, so a "
            "parsed document can add properties to `Object.prototype`. Found while "
            "packaging 2.3.0 for Example Linux."
        ),
        purl="pkg:npm/fastparse@2.3.0",
        vers="vers:npm/<=2.3.0",
        cwe="CWE-1321",
        cvss_vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:H/A:L",
    )


def seed() -> Cast:
    """Create the demo data that is missing; running it again changes nothing."""
    c = cast()
    for build in (_fastparse_case, _embargoed_libexample_case, _open_libexample_case):
        with transaction.atomic():
            build(c)
    with transaction.atomic():
        _triage_queue(c)
    return c
