"""A realistic data set at scale, built with COPY in one transaction.

``python manage.py seed_scale --cases 100000`` gives about 2,000 organisations,
5,000 projects, 10,000 users, 100,000 cases with about 400,000 participants (and
the guardian grants ``cases.access`` reads, exactly as ``sync_grants`` writes
them), 150,000 vulnerabilities, 200,000 reports, 1,000,000 timeline entries and
1,000,000 comments, plus one very large case (200 participant organisations,
2,000 comments, 500 timeline entries). Every other count scales with ``--cases``.

The shape follows what a CVD portal accumulates: most cases are old and closed
or published, a few thousand are open, each has a coordinator, one or two
maintainer teams, its reporters (duplicates merged in) and sometimes partners or
downstream organisations. The benchmark personas (``bench-*`` users) have fixed
shapes the scenarios rely on; see ``BenchPersonas``.

Randomness is seeded: the same arguments give the same data set.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

from bench import BENCH_PASSWORD
from bench.bulk import Loader
from cases import duplicates
from cases.access import COORDINATOR_ONLY, ROLE_ACTIONS, VENDOR_ROLES
from cases.models import (
    AffectedPackage,
    Case,
    CaseCounter,
    CaseGroupObjectPermission,
    CaseState,
    CaseUserObjectPermission,
    Comment,
    CommentVisibility,
    Credit,
    Membership,
    Organisation,
    Participant,
    ParticipantRole,
    Project,
    Report,
    ReportStatus,
    Severity,
    TimelineEntry,
    VendorStatus,
    VendorStatusValue,
    Vulnerability,
)

User = get_user_model()
Role = ParticipantRole

LARGE_CASE_TITLE = "Bench: the very large case (200 organisations)"
BENCH_MAINTAINER_CASES = 20
BENCH_PARTNER_CASES = 600

WORDS = (  # noqa: SIM905 - a sentence reads better than 60 quoted words
    "buffer heap stack integer parser decoder encoder tokenizer lexer codec archive "
    "image font xml json yaml toml template regex url path cookie header session "
    "socket tls certificate signature hash cipher random compression inflate zip "
    "tar unicode locale markdown sanitizer serializer pickle query schema loader "
    "router handler middleware upload download cache proxy resolver dns http2 "
    "websocket grpc protobuf sqlite driver pool scheduler worker plugin"
).split()
FLAWS = [
    ("Heap buffer overflow", "CWE-122"),
    ("Out-of-bounds write", "CWE-787"),
    ("Out-of-bounds read", "CWE-125"),
    ("Use after free", "CWE-416"),
    ("Integer overflow", "CWE-190"),
    ("Path traversal", "CWE-22"),
    ("SQL injection", "CWE-89"),
    ("Cross-site scripting", "CWE-79"),
    ("Server-side request forgery", "CWE-918"),
    ("Regular expression denial of service", "CWE-1333"),
    ("Unsafe deserialization", "CWE-502"),
    ("XML external entity expansion", "CWE-611"),
    ("Improper certificate validation", "CWE-295"),
    ("Uncontrolled recursion", "CWE-674"),
    ("NULL pointer dereference", "CWE-476"),
    ("Command injection", "CWE-78"),
]
ECOSYSTEMS = ["pypi", "npm", "maven", "cargo", "golang", "gem", "nuget", "composer"]
VECTORS = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", Severity.CRITICAL),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "7.5", Severity.HIGH),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "6.1", Severity.MEDIUM),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "7.8", Severity.HIGH),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "5.9", Severity.MEDIUM),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:L", "3.3", Severity.LOW),
]
COMMENT_LINES = [
    "Confirmed on the main branch; the fuzzer reproducer crashes within seconds.",
    "We have a candidate patch in a private fork, please review the diff attached.",
    "Downstream builds are affected from version 2.1 onwards, earlier ones are not.",
    "Can we agree on the public date? Our release train leaves on a Tuesday.",
    "The reproducer needs **ASan** to show the overflow; without it it only corrupts memory.",
    "Pre-notification list looks complete from our side.",
    "Backport to the LTS branch is harder than expected, we need two more days.",
    "CVE requested; the CNA will reserve the id today.",
    "Our scanner flagged the same code path in the vendored copy as well.",
    "Deployed to staging, production rollout starts after the release.",
]

# Path of a case through its life cycle: state -> transitions taken to reach it.
PATHS: dict[str, list[str]] = {
    CaseState.NEW: [],
    CaseState.ACCEPTED: ["accept"],
    CaseState.IN_PROGRESS: ["accept", "start"],
    CaseState.FIX_READY: ["accept", "start", "mark_fix_ready"],
    CaseState.RELEASED: ["accept", "start", "mark_fix_ready", "release"],
    CaseState.PUBLISHED: ["accept", "start", "mark_fix_ready", "release", "publish"],
    CaseState.CLOSED: ["accept", "start", "mark_fix_ready", "release", "publish", "close"],
    CaseState.REJECTED: ["reject"],
    CaseState.DUPLICATE: [],
}
TRANSITION_TARGET = {
    "accept": CaseState.ACCEPTED,
    "start": CaseState.IN_PROGRESS,
    "mark_fix_ready": CaseState.FIX_READY,
    "release": CaseState.RELEASED,
    "publish": CaseState.PUBLISHED,
    "close": CaseState.CLOSED,
    "reject": CaseState.REJECTED,
}
RECENT_STATES = [
    (CaseState.NEW, 8),
    (CaseState.ACCEPTED, 14),
    (CaseState.IN_PROGRESS, 34),
    (CaseState.FIX_READY, 14),
    (CaseState.RELEASED, 10),
    (CaseState.PUBLISHED, 12),
    (CaseState.CLOSED, 5),
    (CaseState.REJECTED, 3),
]
OLD_STATES = [
    (CaseState.CLOSED, 74),
    (CaseState.PUBLISHED, 15),
    (CaseState.REJECTED, 7),
    (CaseState.DUPLICATE, 4),
]


@dataclass
class Sizes:
    cases: int
    organisations: int
    projects: int
    users: int
    reports: int

    @classmethod
    def for_cases(cls, cases: int, reports: int | None = None) -> Sizes:
        return cls(
            cases=cases,
            # The very large case alone needs 200 organisations.
            organisations=max(260, cases // 50),
            projects=max(100, cases // 20),
            users=max(600, cases // 10),
            reports=reports if reports is not None else 2 * cases,
        )


@dataclass
class Built:
    """What the generator made, for the summary and the benchmark personas."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _weighted(rng: random.Random, table: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


class ScaleSeeder:
    def __init__(self, sizes: Sizes, *, seed: int = 2026, now: datetime | None = None) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.loader = Loader()
        self.perm_ids = {
            p.codename: p.pk
            for p in Permission.objects.filter(
                content_type__app_label="cases",
                codename__in={c for actions in ROLE_ACTIONS.values() for c in actions},
            )
        }
        # role -> permission ids sync_grants writes for it
        self.role_perms = {
            role: sorted(self.perm_ids[c] for c in actions - COORDINATOR_ONLY)
            for role, actions in ROLE_ACTIONS.items()
        }

    # ------------------------------------------------------------------ people
    def build_people(self) -> None:
        s, rng, L = self.sizes, self.rng, self.loader
        n_orgs = s.organisations
        org_ids = L.ids(Organisation, n_orgs)
        group_ids = L.ids(Group, n_orgs)
        kinds: list[str] = []
        names: list[str] = []
        for i in range(n_orgs):
            if i == 0:
                kind, name = Organisation.Kind.SIRT, "Scale SIRT"
            elif i == 1:
                kind, name = Organisation.Kind.MAINTAINER, "bench-maintainers"
            elif i == 2:
                kind, name = Organisation.Kind.PARTNER, "bench-partners"
            else:
                r = rng.random()
                kind = (
                    Organisation.Kind.MAINTAINER
                    if r < 0.6
                    else Organisation.Kind.PARTNER
                    if r < 0.85
                    else Organisation.Kind.DOWNSTREAM
                )
                name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {kind} {i:05d}"
            kinds.append(kind)
            names.append(name)
        slugs = [f"scale-{i:05d}" for i in range(n_orgs)]
        L.copy(Group, ["id", "name"], ((group_ids[i], f"org:{slugs[i]}") for i in range(n_orgs)))
        L.copy(
            Organisation,
            ["id", "name", "slug", "kind", "group_id", "created_at"],
            (
                (org_ids[i], names[i], slugs[i], kinds[i], group_ids[i], self.now)
                for i in range(n_orgs)
            ),
        )
        self.org_ids = list(org_ids)
        self.org_group = dict(zip(org_ids, group_ids, strict=True))
        self.org_kind = dict(zip(org_ids, kinds, strict=True))
        self.sirt = org_ids[0]
        self.bench_maintainers, self.bench_partners = org_ids[1], org_ids[2]
        self.maintainer_orgs = [o for o in org_ids if self.org_kind[o] == "maintainer"]
        self.partner_orgs = [
            o
            for o in org_ids[3:]
            if self.org_kind[o] in (Organisation.Kind.PARTNER, Organisation.Kind.DOWNSTREAM)
        ]

        # Users: 20 coordinators, one member at least per organisation, 10% independent.
        n_users = s.users
        user_ids = L.ids(User, n_users)
        password = make_password(BENCH_PASSWORD)
        usernames: list[str] = []
        member_of: dict[int, int | None] = {}
        self.org_members: dict[int, list[int]] = defaultdict(list)
        special = {
            0: ("bench-coordinator", self.sirt),
            1: ("bench-maintainer", self.bench_maintainers),
            2: ("bench-partner", self.bench_partners),
            3: ("bench-outsider", None),
        }
        n_coordinators = 20
        for i, uid in enumerate(user_ids):
            if i in special:
                name, org = special[i]
            elif i < n_coordinators:
                name, org = f"scale-coordinator-{i:02d}", self.sirt
            else:
                name = f"scale-user-{i:05d}"
                j = i - n_coordinators
                if j < n_orgs - 3:
                    org = org_ids[3 + j]  # everyone has at least one member
                elif rng.random() < 0.1:
                    org = None  # an independent researcher
                else:
                    org = rng.choice(org_ids[3:])
            usernames.append(name)
            member_of[uid] = org
            if org is not None:
                self.org_members[org].append(uid)
        L.copy(
            User,
            [
                "id",
                "username",
                "email",
                "password",
                "first_name",
                "last_name",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
            ],
            (
                (
                    uid,
                    usernames[i],
                    f"{usernames[i]}@scale.example",
                    password,
                    usernames[i].split("-")[0].title(),
                    f"{i:05d}",
                    True,
                    False,
                    False,
                    self.now - timedelta(days=2000),
                )
                for i, uid in enumerate(user_ids)
            ),
        )
        memberships = [(u, o) for u, o in member_of.items() if o is not None]
        m_ids = L.ids(Membership, len(memberships))
        L.copy(
            Membership,
            ["id", "organisation_id", "user_id", "role", "created_at"],
            ((m_ids[k], o, u, "member", self.now) for k, (u, o) in enumerate(memberships)),
        )
        # Nobody joins the organisations' groups: they only hold grants; belonging to an
        # organisation is the Membership row (cases.access reads it).
        self.user_ids = list(user_ids)
        self.coordinators = [u for u in user_ids if member_of[u] == self.sirt]
        self.bench_coordinator = user_ids[0]
        self.partner_reporters = [u for o in self.partner_orgs for u in self.org_members[o]]
        self.user_org = member_of
        self.independent = [u for u, o in member_of.items() if o is None and u != user_ids[3]]

        # Projects, owned by maintainer organisations; bench-maintainers owns one.
        n_projects = s.projects
        project_ids = L.ids(Project, n_projects)
        self.project_org: dict[int, int] = {}
        self.project_purl: dict[int, str] = {}
        rows = []
        for k, pid in enumerate(project_ids):
            org = self.bench_maintainers if k == 0 else rng.choice(self.maintainer_orgs[1:])
            name = "bench-lib" if k == 0 else f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{k:05d}"
            eco = ECOSYSTEMS[k % len(ECOSYSTEMS)]
            purl = f"pkg:{eco}/{name}"
            self.project_org[pid] = org
            self.project_purl[pid] = purl
            rows.append((pid, name, name, org, f"https://git.example.org/{name}", [purl]))
        L.copy(
            Project,
            ["id", "name", "slug", "organisation_id", "repository_url", "purls"],
            ((*r[:5], f'["{r[5][0]}"]') for r in rows),
        )
        self.project_ids = list(project_ids)
        self.project_name = {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------------ cases
    def plan_cases(self) -> None:
        """Decide every case's dates, state, projects and participants up front."""
        s, rng = self.sizes, self.rng
        n = s.cases
        span = timedelta(days=6 * 365)
        recent = timedelta(days=180)
        created = sorted(
            self.now - timedelta(days=1) - span * (rng.random() ** 1.3) for _ in range(n)
        )
        self.cases: list[dict[str, Any]] = []
        per_year: dict[int, int] = defaultdict(int)
        case_ids = self.loader.ids(Case, n)
        bench_m = set(rng.sample(range(max(0, n - 2000), n - 1), BENCH_MAINTAINER_CASES))
        bench_p = set(rng.sample(range(0, n - 1), min(BENCH_PARTNER_CASES, n - 1)))
        for i, cid in enumerate(case_ids):
            at = created[i]
            per_year[at.year] += 1
            ref = f"AKR-{at.year}-{per_year[at.year]:04d}"
            table = RECENT_STATES if self.now - at < recent else OLD_STATES
            state = _weighted(rng, table)
            projects = [rng.choice(self.project_ids[1:])]
            if rng.random() < 0.1:
                projects.append(rng.choice(self.project_ids[1:]))
            orgs: list[tuple[int, str]] = []
            if state not in (CaseState.NEW, CaseState.REJECTED):
                for p in dict.fromkeys(projects):
                    orgs.append((self.project_org[p], Role.MAINTAINER))
            if i in bench_m:
                state = rng.choice(
                    [
                        CaseState.IN_PROGRESS,
                        CaseState.FIX_READY,
                        CaseState.CLOSED,
                        CaseState.PUBLISHED,
                        CaseState.ACCEPTED,
                    ]
                )
                projects.append(self.project_ids[0])
                orgs.append((self.bench_maintainers, Role.MAINTAINER))
            if state not in (CaseState.NEW, CaseState.REJECTED, CaseState.DUPLICATE):
                extra = _weighted(rng, [(0, 62), (1, 28), (2, 8), (3, 2)])
                for o in rng.sample(self.partner_orgs, extra):
                    role = Role.PARTNER if self.org_kind[o] == "partner" else Role.DOWNSTREAM
                    orgs.append((o, role))
            if i in bench_p:
                orgs.append((self.bench_partners, Role.PARTNER))
            seen: set[int] = set()
            orgs = [(o, r) for o, r in orgs if not (o in seen or seen.add(o))]
            self.cases.append(
                {
                    "id": cid,
                    "ref": ref,
                    "created": at,
                    "state": state,
                    "projects": list(dict.fromkeys(projects)),
                    "orgs": orgs,
                    "coordinator": rng.choice(self.coordinators),
                    "flaw": rng.choice(FLAWS),
                    "word": rng.choice(WORDS),
                }
            )
        # The very large case: the newest one, open and under embargo.
        big = self.cases[-1]
        big["state"] = CaseState.IN_PROGRESS
        big["large"] = True
        big["projects"] = rng.sample(self.project_ids[1:], 10)
        orgs = [(self.project_org[p], Role.MAINTAINER) for p in big["projects"]]
        # Partners and downstream first; maintainer teams of other projects join as
        # downstream (their software bundles the affected one) when those run out.
        chosen = {x for x, _ in orgs}
        others = [o for o in self.partner_orgs if o not in chosen]
        rng.shuffle(others)
        others += [o for o in self.maintainer_orgs[1:] if o not in chosen]
        for o in others[: 200 - len(chosen)]:
            orgs.append((o, Role.PARTNER if self.org_kind[o] == "partner" else Role.DOWNSTREAM))
        seen = set()
        big["orgs"] = [(o, r) for o, r in orgs if not (o in seen or seen.add(o))]
        self.case_counters = dict(per_year)

    def build_cases(self) -> None:
        L, rng = self.loader, self.rng
        sev = {v: sv for v, _, sv in VECTORS}

        def title(c: dict[str, Any]) -> str:
            if c.get("large"):
                return LARGE_CASE_TITLE
            proj = self.project_name[c["projects"][0]]
            return f"{c['flaw'][0]} in {c['word']} handling of {proj}"

        for c in self.cases:
            c["vector"] = rng.choice(VECTORS)[0]
            c["title"] = title(c)
            c["updated"] = min(self.now, c["created"] + timedelta(days=rng.randint(1, 120)))
        L.copy(
            Case,
            [
                "id",
                "reference",
                "title",
                "summary",
                "state",
                "severity",
                "created_by_id",
                "created_at",
                "updated_at",
                "version",
            ],
            (
                (
                    c["id"],
                    c["ref"],
                    c["title"],
                    f"{c['flaw'][0]} ({c['flaw'][1]}) reachable from untrusted input in the "
                    f"{c['word']} code path.",
                    c["state"],
                    sev[c["vector"]],
                    c["coordinator"],
                    c["created"],
                    c["updated"],
                    1 + len(PATHS[c["state"]]),
                )
                for c in self.cases
            ),
        )
        through = Case.projects.through
        pairs = [(c["id"], p) for c in self.cases for p in c["projects"]]
        ids = L.ids(through, len(pairs))
        L.copy(
            through,
            ["id", "case_id", "project_id"],
            ((ids[k], c, p) for k, (c, p) in enumerate(pairs)),
        )
        L.copy(
            CaseCounter,
            ["year", "last_number"],
            sorted(self.case_counters.items()),
        )

    def build_reports(self) -> None:
        """The first report of each case, merged duplicates, and standalone ones."""
        s, rng, L = self.sizes, self.rng, self.loader
        budget = s.reports
        standalone = max(10, budget // 20)
        in_cases = max(len(self.cases), budget - standalone)
        extra = in_cases - len(self.cases)
        # Duplicates go to the cases that had the most attention (open or published).
        weights = [
            0 if c["state"] in (CaseState.REJECTED, CaseState.NEW) else 1 for c in self.cases
        ]
        extra_for = defaultdict(int)
        for k in rng.choices(range(len(self.cases)), weights=weights, k=max(0, extra)):
            extra_for[k] += 1
        for _ in range(5):  # the large case was reported by several partners
            extra_for[len(self.cases) - 1] += 1
        reporters = self.partner_reporters + self.independent

        rows: list[tuple] = []
        for k, c in enumerate(self.cases):
            c["reporters"] = []
            for j in range(1 + extra_for.get(k, 0)):
                reporter = rng.choice(reporters)
                c["reporters"].append(reporter)
                status = ReportStatus.IN_CASE if j == 0 else ReportStatus.DUPLICATE
                at = (
                    c["created"] - timedelta(hours=2)
                    if j == 0
                    else c["created"] + timedelta(days=rng.randint(0, 30))
                )
                rows.append(self._report_row(c, reporter, status, c["id"], at, j))
        # Standalone: waiting for triage (some of them duplicates of open cases) or rejected.
        open_cases = [
            c
            for c in self.cases
            if c["state"] in (CaseState.NEW, CaseState.ACCEPTED, CaseState.IN_PROGRESS)
        ] or self.cases
        for j in range(standalone):
            c = rng.choice(open_cases if j % 4 == 0 else self.cases)
            reporter = rng.choice(reporters)
            waiting = j < max(5, standalone // 5)
            status = ReportStatus.NEW if waiting else ReportStatus.REJECTED
            at = self.now - timedelta(hours=rng.randint(1, 24 * (14 if waiting else 900)))
            rows.append(self._report_row(c, reporter, status, None, at, j + 7))
        ids = L.ids(Report, len(rows))
        L.copy(
            Report,
            [
                "id",
                "title",
                "description",
                "reporter_id",
                "reporter_organisation_id",
                "purl",
                "package",
                "vers",
                "cwe",
                "cvss_vector",
                "wants_credit",
                "status",
                "rejection_reason",
                "case_id",
                "fingerprint",
                "received_at",
                "updated_at",
            ],
            (
                (
                    ids[k],
                    *row[:-1],
                    hashlib.sha256(str(ids[k]).encode()).hexdigest(),
                    row[-1],
                    row[-1],
                )
                for k, row in enumerate(rows)
            ),
        )

    def _report_row(
        self,
        c: dict[str, Any],
        reporter: int,
        status: str,
        case_id: int | None,
        at: datetime,
        variant: int,
    ) -> tuple:
        project = c["projects"][0]
        package = self.project_purl[project]
        flaw, cwe = c["flaw"]
        title = [
            f"{flaw} in {c['word']} handling of {self.project_name[project]}",
            f"{self.project_name[project]}: {flaw.lower()} when parsing {c['word']} input",
            f"{flaw} via crafted {c['word']} data in {self.project_name[project]}",
        ][variant % 3]
        description = (
            f"A crafted {c['word']} input reaches {flaw.lower()} ({cwe}) in "
            f"{self.project_name[project]}. Reproducer: feed the attached file to the "
            f"{c['word']} entry point; found by automated analysis (run {variant})."
        )
        org = self.user_org.get(reporter)
        return (
            title,
            description,
            reporter,
            org,
            f"{package}@1.{variant % 9}.0",
            package,
            "vers:generic/>=1.0.0|<1.9.3",
            cwe,
            c["vector"],
            True,
            status,
            "Not a vulnerability: the input is trusted." if status == ReportStatus.REJECTED else "",
            case_id,
            at,
        )

    def build_participants_and_grants(self) -> None:
        L, rng = self.loader, self.rng
        parts: list[tuple] = []
        user_grants: dict[tuple[int, int], set[int]] = defaultdict(set)
        group_grants: dict[tuple[int, int], set[int]] = defaultdict(set)
        for c in self.cases:
            cid, at = c["id"], c["created"]
            # coordinator, reporters: single-person participants
            parts.append((cid, None, c["coordinator"], Role.COORDINATOR, at, None, None))
            user_grants[(cid, c["coordinator"])] |= set(self.role_perms[Role.COORDINATOR])
            for reporter in dict.fromkeys(c["reporters"]):
                parts.append((cid, None, reporter, Role.REPORTER, at, at, reporter))
                user_grants[(cid, reporter)] |= set(self.role_perms[Role.REPORTER])
            for org, role in c["orgs"]:
                invited = at + timedelta(hours=rng.randint(1, 48))
                members = self.org_members[org]
                # Everyone has answered; the disclosure step leaves a known number of
                # invitations unanswered, so the deadline sweep has a known amount due.
                acked = invited + timedelta(hours=rng.randint(1, 40))
                removed = None
                if role != Role.MAINTAINER and rng.random() < 0.005 and not c.get("large"):
                    removed = invited + timedelta(days=3)
                parts.append(
                    (cid, org, None, role, invited, acked, members[0] if acked else None, removed)
                )
                if removed is None:
                    group_grants[(cid, self.org_group[org])] |= set(self.role_perms[role])
            c["participants"] = len(c["orgs"]) + 1 + len(set(c["reporters"]))
        ids = L.ids(Participant, len(parts))
        self.org_participants = [
            (ids[k], p[0], p[1], p[3]) for k, p in enumerate(parts) if p[1] is not None
        ]
        self.vendors_answered = [
            (p[0], p[1], p[5], p[6])
            for p in parts
            if p[1] is not None and p[3] in VENDOR_ROLES and not (len(p) > 7 and p[7])
        ]
        L.copy(
            Participant,
            [
                "id",
                "case_id",
                "organisation_id",
                "user_id",
                "role",
                "invited_by_id",
                "invited_at",
                "acknowledged_at",
                "acknowledged_by_id",
                "removed_at",
            ],
            (
                (
                    ids[k],
                    p[0],
                    p[1],
                    p[2],
                    p[3],
                    self.bench_coordinator,
                    p[4],
                    p[5],
                    p[6],
                    p[7] if len(p) > 7 else None,
                )
                for k, p in enumerate(parts)
            ),
        )
        n_user = sum(len(v) for v in user_grants.values())
        uids = iter(L.ids(CaseUserObjectPermission, n_user))
        L.copy(
            CaseUserObjectPermission,
            ["id", "content_object_id", "user_id", "permission_id"],
            (
                (next(uids), cid, uid, perm)
                for (cid, uid), perms in user_grants.items()
                for perm in sorted(perms)
            ),
        )
        n_group = sum(len(v) for v in group_grants.values())
        gids = iter(L.ids(CaseGroupObjectPermission, n_group))
        L.copy(
            CaseGroupObjectPermission,
            ["id", "content_object_id", "group_id", "permission_id"],
            (
                (next(gids), cid, gid, perm)
                for (cid, gid), perms in group_grants.items()
                for perm in sorted(perms)
            ),
        )

    def build_vulnerabilities(self) -> None:
        L, rng = self.loader, self.rng
        cvss = {v: score for v, score, _ in VECTORS}
        vulns: list[tuple] = []
        cve_seq = 10000
        for c in self.cases:
            n = 1 + (rng.random() < 0.5)
            public = c["state"] in (CaseState.PUBLISHED, CaseState.CLOSED)
            c["vulns"] = []
            for j in range(n):
                cve = ""
                if public:
                    cve_seq += 1
                    cve = f"CVE-{c['created'].year}-{cve_seq}"
                vector = c["vector"] if j == 0 else rng.choice(VECTORS)[0]
                vulns.append((c, j, cve, vector))
        ids = L.ids(Vulnerability, len(vulns))
        L.copy(
            Vulnerability,
            [
                "id",
                "case_id",
                "title",
                "description",
                "cwe",
                "cvss3_vector",
                "cvss3_score",
                "cve_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    ids[k],
                    c["id"],
                    c["title"] if j == 0 else f"{c['title']} (variant {j})",
                    "See the case summary.",
                    c["flaw"][1],
                    vector,
                    cvss[vector],
                    cve,
                    c["created"],
                    c["updated"],
                )
                for k, (c, j, cve, vector) in enumerate(vulns)
            ),
        )
        for k, (c, j, cve, vector) in enumerate(vulns):
            c["vulns"].append(ids[k])
            title = c["title"] if j == 0 else f"{c['title']} (variant {j})"
            c.setdefault("vuln_info", []).append((ids[k], title, cve, vector, cvss[vector]))
        aff = [(vid, c) for c in self.cases for vid in c["vulns"]]
        aids = L.ids(AffectedPackage, len(aff))
        L.copy(
            AffectedPackage,
            ["id", "vulnerability_id", "purl", "vers", "fixed_versions"],
            (
                (
                    aids[k],
                    vid,
                    self.project_purl[c["projects"][0]],
                    "vers:generic/>=1.0.0|<1.9.3",
                    '["1.9.3"]',
                )
                for k, (vid, c) in enumerate(aff)
            ),
        )
        cids = L.ids(Credit, len(self.cases))
        L.copy(
            Credit,
            ["id", "vulnerability_id", "name", "kind", "user_id", "consented"],
            (
                (
                    cids[k],
                    c["vulns"][0],
                    f"Reporter {c['reporters'][0]}",
                    "finder",
                    c["reporters"][0],
                    True,
                )
                for k, c in enumerate(self.cases)
            ),
        )

    def build_vendor_statuses(self) -> None:
        """Every vendor of every case has answered for each vulnerability (as everyone
        has acknowledged): the deadline sweep then finds only the deadlines the
        disclosure step leaves due, no vendor status reminder."""
        L = self.loader
        by_id = {c["id"]: c for c in self.cases}
        rows = [
            (vid, org, answered_at, answered_by, by_id[cid]["state"])
            for cid, org, answered_at, answered_by in self.vendors_answered
            for vid in by_id[cid]["vulns"]
        ]
        public = (CaseState.PUBLISHED, CaseState.CLOSED)
        ids = L.ids(VendorStatus, len(rows))
        L.copy(
            VendorStatus,
            ["id", "vulnerability_id", "organisation_id", "status", "set_by_id", "set_at"],
            (
                (
                    ids[k],
                    vid,
                    org,
                    VendorStatusValue.FIXED if state in public else VendorStatusValue.AFFECTED,
                    answered_by,
                    answered_at,
                )
                for k, (vid, org, answered_at, answered_by, state) in enumerate(rows)
            ),
        )

    def build_discussion(self, comments_per_case: int = 10, timeline_per_case: int = 10) -> None:
        """About 10 comments and 10 timeline entries per case; the large case gets its own."""
        L, rng = self.loader, self.rng
        n_cases = len(self.cases)
        target_comments = comments_per_case * n_cases
        target_timeline = timeline_per_case * n_cases
        n_normal = n_cases - 1
        talking = sum(1 for c in self.cases if c["state"] != CaseState.NEW) - 1
        per_case_comments = max(0.0, (target_comments - 2000) / max(1, talking))
        per_case_timeline = max(0, (target_timeline - 500) // max(1, n_normal))

        def authors(c: dict[str, Any]) -> list[tuple[int, int | None]]:
            found = [(c["coordinator"], None)]
            found += [(r, None) for r in c["reporters"][:2]]
            for org, _ in c["orgs"][:4]:
                found.append((self.org_members[org][0], org))
            return found

        def comments() -> Any:
            for c in self.cases:
                n = (
                    2000
                    if c.get("large")
                    else (
                        0
                        if c["state"] == CaseState.NEW
                        else int(per_case_comments * rng.uniform(0.4, 1.6) + 0.5)
                    )
                )
                people = authors(c)
                step = timedelta(minutes=37)
                at = c["created"] + timedelta(hours=3)
                for j in range(n):
                    author, org = people[j % len(people)]
                    r = rng.random()
                    if r < 0.85 or org is None:
                        vis, vis_org = CommentVisibility.ALL, None
                        if r >= 0.85 and author == c["coordinator"]:
                            vis = CommentVisibility.COORDINATORS
                    else:
                        vis, vis_org = CommentVisibility.ORGANISATION, org
                    yield (
                        c["id"],
                        author,
                        COMMENT_LINES[(j + c["id"]) % len(COMMENT_LINES)],
                        vis,
                        vis_org,
                        at + step * j,
                    )

        rows = list(comments())
        ids = L.ids(Comment, len(rows))
        L.copy(
            Comment,
            ["id", "case_id", "author_id", "body", "visibility", "organisation_id", "created_at"],
            ((ids[k], *row) for k, row in enumerate(rows)),
        )
        del rows

        def timeline() -> Any:
            for c in self.cases:
                at = c["created"]
                actor = c["coordinator"]
                entries = [("case.opened", {"report": None})]
                entries += [
                    ("case.project.added", {"project": self.project_name[p]}) for p in c["projects"]
                ]
                entries += [("case.participant.added", {"role": r}) for _, r in c["orgs"]]
                entries += [
                    (f"case.state.{t}", {"to": TRANSITION_TARGET[t]}) for t in PATHS[c["state"]]
                ]
                want = (
                    500
                    if c.get("large")
                    else rng.randint(
                        max(len(entries), per_case_timeline - 3),
                        max(len(entries), per_case_timeline + 3),
                    )
                )
                while len(entries) < want:
                    entries.append(("case.comment.posted", {"visibility": "all"}))
                step = timedelta(minutes=41)
                for j, (action, data) in enumerate(entries[:want]):
                    yield (c["id"], actor, action, data, at + step * j)

        rows = list(timeline())
        ids = L.ids(TimelineEntry, len(rows))
        L.copy(
            TimelineEntry,
            ["id", "case_id", "actor_id", "action", "data", "created_at"],
            ((ids[k], r[0], r[1], r[2], json.dumps(r[3]), r[4]) for k, r in enumerate(rows)),
        )

    # ------------------------------------------------------------------ driver
    def run(self, log: Any = print) -> Built:
        started = time.perf_counter()
        steps = [
            ("people", self.build_people),
            ("cases", lambda: (self.plan_cases(), self.build_cases())),
            ("reports", self.build_reports),
            ("participants and grants", self.build_participants_and_grants),
            ("vulnerabilities", self.build_vulnerabilities),
            ("vendor statuses", self.build_vendor_statuses),
            ("comments and timeline", self.build_discussion),
        ]
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Skip per-row foreign key and trigger work while loading: the rows
                # are consistent by construction, and COPY then runs several times
                # faster. Needs a superuser; without one the load is only slower.
                try:
                    with transaction.atomic():
                        cursor.execute("SET LOCAL session_replication_role = replica")
                except Exception:  # noqa: BLE001
                    log("  (not a superuser: loading with triggers on, slower)")
            for name, step in steps:
                t = time.perf_counter()
                step()
                log(f"  {name}: {time.perf_counter() - t:.1f}s")
            copy_steps, service_steps = extra_steps()
            for hook in copy_steps:
                t = time.perf_counter()
                hook(self)
                log(f"  {hook.__name__}: {time.perf_counter() - t:.1f}s")
            self.loader.reset_sequences()
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            # The triggers that keep duplicate detection's search documents were off too.
            t = time.perf_counter()
            duplicates.rebuild_documents()
            log(f"  duplicate search documents: {time.perf_counter() - t:.1f}s")
            # Rows made through the real services, after the sequences moved on.
            for hook in service_steps:
                t = time.perf_counter()
                hook(self)
                log(f"  {hook.__name__}: {time.perf_counter() - t:.1f}s")
        return Built(counts=dict(self.loader.counts), seconds=time.perf_counter() - started)


def extra_steps() -> tuple[list[Any], list[Any]]:
    """Data of the disclosure app: (COPY steps, steps through the services)."""
    from bench import scale_disclosure

    return scale_disclosure.steps()
