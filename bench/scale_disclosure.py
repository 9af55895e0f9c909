"""Disclosure rows for the scale data set (see bench/scale.py), and what is due.

Every case past triage gets an embargo (active with a public date ahead while the
case is open, lifted in the past once published), cases with a fix get a release
plan (project releases, pre-notifications of their partners and downstream,
deployment reports after the release), published cases a published advisory with
its frozen revision. Dates are chosen so that the deadline sweep finds exactly
``sum(DUE.values())`` (500) deadlines due, whatever the number of cases; the rest
lies outside every reminder window, as in a portal whose sweep runs on time.

One more case is built through the real services: the advisory with 50 products
and 10 vulnerabilities that the CSAF export scenario renders.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from cases.models import CaseState, ParticipantRole, severity_for_score

if TYPE_CHECKING:
    from bench.scale import ScaleSeeder

CSAF_CASE_TITLE = "Bench: advisory with 50 products and 10 vulnerabilities"

# Deadlines the sweep must find in the data set: 500 in all.
DUE = {
    "ack_reminder": 60,  # maintainer silent for 30 hours
    "ack_escalation": 40,  # maintainer silent for 3 days
    "embargo": 150,  # public date within the next 7 days
    "release": 100,  # release target within the next 48 hours
    "prenotification": 50,  # pre-notification date passed, not sent
    "deployment": 50,  # released 8-13 days ago, one laggard each: 2 deadlines per plan
}
DUE_TOTAL = sum(DUE.values()) + DUE["deployment"]

OPEN_WITH_EMBARGO = {
    CaseState.ACCEPTED,
    CaseState.IN_PROGRESS,
    CaseState.FIX_READY,
    CaseState.RELEASED,
}
PUBLIC = {CaseState.PUBLISHED, CaseState.CLOSED}


def steps() -> tuple[list[Any], list[Any]]:
    return [disclosure_rows], [csaf_case]


def _noon(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time(12, 0), tzinfo=moment.tzinfo)


def disclosure_rows(seeder: ScaleSeeder) -> None:
    from disclosure.advisories.content import cwe_name
    from disclosure.models import (
        Advisory,
        AdvisoryRevision,
        DeploymentReport,
        Embargo,
        EmbargoClock,
        EmbargoPolicy,
        PreNotification,
        ProjectRelease,
        ReleasePlan,
    )
    from disclosure.models.advisory import AdvisoryCounter, OsvIdCounter, OsvIdentifier
    from disclosure.models.release import working_days_before

    s, L, now = seeder, seeder.loader, seeder.now
    rng = random.Random(7)
    standard = EmbargoPolicy.objects.get(code="standard").pk
    cases = [c for c in s.cases if c["state"] in OPEN_WITH_EMBARGO | PUBLIC]

    # Which cases carry which due deadline (never two kinds on one case).
    open_cases = [
        c
        for c in cases
        if c["state"] in (CaseState.IN_PROGRESS, CaseState.FIX_READY) and not c.get("large")
    ]
    rng.shuffle(open_cases)
    # Small data sets (tests, development) have too few open cases for 500: scale down.
    share = min(1.0, len(open_cases) / 800)
    due = {kind: round(n * share) for kind, n in DUE.items()}
    seeder.due_deadlines = sum(due.values()) + due["deployment"]
    take = iter(open_cases)
    due_embargo = {next(take)["id"] for _ in range(due["embargo"])}
    due_release = {next(take)["id"] for _ in range(due["release"])}
    # One partner or downstream organisation each: one pre-notification due per case.
    one_partner = (
        c for c in take if sum(r != ParticipantRole.MAINTAINER for _, r in c["orgs"]) == 1
    )
    due_prenotify = {next(one_partner)["id"] for _ in range(due["prenotification"])}
    taken = due_embargo | due_release | due_prenotify
    with_partners = [
        c
        for c in cases
        if c["state"] in PUBLIC
        and any(r != ParticipantRole.MAINTAINER for _, r in c["orgs"])
        and not c.get("large")
    ]
    due_deploy = {c["id"] for c in rng.sample(with_partners, due["deployment"])}

    embargoes, clocks, plans, releases, prenotes, deployments = [], [], [], [], [], []
    emb_ids = iter(L.ids(Embargo, len(cases)))
    n_plans = sum(
        1
        for c in cases
        if c["state"] != CaseState.ACCEPTED
        and (c["state"] != CaseState.IN_PROGRESS or c["id"] in due_release | due_prenotify)
    )
    plan_ids = iter(L.ids(ReleasePlan, n_plans))
    for c in cases:
        cid, state = c["id"], c["state"]
        emb = next(emb_ids)
        c["embargo_id"] = emb
        if state in PUBLIC:
            public_at = min(
                _noon(c["created"] + timedelta(days=rng.randint(40, 90))),
                now - timedelta(days=1),
            )
            embargoes.append((emb, cid, "lifted", public_at, public_at, c["created"], public_at))
            clocks.append((emb, standard, c["created"], public_at, public_at))
        else:
            if cid in due_embargo:
                public_at = now + timedelta(hours=rng.randint(1, 7 * 24 - 1))
            else:
                public_at = _noon(now + timedelta(days=rng.randint(9, 120)))
            embargoes.append((emb, cid, "active", public_at, None, c["created"], c["created"]))
            clocks.append((emb, standard, c["created"], public_at, None))
        c["public_at"] = public_at
        # Release plans: once a fix exists (and some plans made earlier, while working).
        if state == CaseState.ACCEPTED or (
            state == CaseState.IN_PROGRESS and cid not in due_release | due_prenotify
        ):
            continue
        plan = next(plan_ids)
        released_at = None
        if cid in due_release:
            target = now + timedelta(hours=rng.randint(2, 47))
        elif cid in due_prenotify:
            target = now + timedelta(days=3, hours=12)
        elif state in (CaseState.IN_PROGRESS, CaseState.FIX_READY):
            target = max(public_at - timedelta(days=2), now + timedelta(days=3))
        elif state == CaseState.RELEASED:
            target = now - timedelta(days=rng.randint(1, 5))
            released_at = target
        else:  # published, closed
            target = public_at - timedelta(days=1)
            released_at = target
            if cid in due_deploy:
                released_at = now - timedelta(days=rng.randint(8, 13))
            elif now - timedelta(days=15) < released_at:
                released_at = now - timedelta(days=16)  # outside the deployment window
        fixed_at = None if state == CaseState.IN_PROGRESS else c["created"] + timedelta(days=20)
        plans.append((plan, cid, target, fixed_at, released_at, c["created"], c["updated"]))
        # What build_content reads back as each project's released version.
        c["released_version"] = "1.9.3" if released_at else ""
        for p in c["projects"]:
            status = "released" if released_at else ("ready" if fixed_at else "planned")
            releases.append(
                (
                    plan,
                    p,
                    f"https://git.example.org/{s.project_name[p]}/commit/f1x",
                    status,
                    fixed_at,
                    released_at,
                    c["updated"],
                )
            )
        notify_at = working_days_before(target, 5)
        for org, role in c["orgs"]:
            if role == ParticipantRole.MAINTAINER:
                continue
            sent = notify_at if notify_at <= now else None
            if cid in due_prenotify:
                sent, notify_at = None, now - timedelta(days=1)
            prenotes.append(
                (
                    plan,
                    org,
                    notify_at,
                    sent,
                    sent and s.bench_coordinator,
                    sent and sent + timedelta(hours=5),
                )
            )
            if released_at and not (cid in due_deploy and org == _laggard(c)):
                deployments.append((cid, org, "deployed", released_at + timedelta(days=2)))

    L.copy(
        Embargo,
        ["id", "case_id", "state", "public_at", "lifted_at", "created_at", "updated_at"],
        embargoes,
    )
    clock_ids = L.ids(EmbargoClock, len(clocks))
    L.copy(
        EmbargoClock,
        [
            "id",
            "embargo_id",
            "policy_id",
            "started_at",
            "started_by",
            "deadline",
            "stopped_at",
            "created_at",
        ],
        (
            (clock_ids[k], e, p, st, "report received", d, stop, st)
            for k, (e, p, st, d, stop) in enumerate(clocks)
        ),
    )
    L.copy(
        ReleasePlan,
        ["id", "case_id", "target_at", "fixed_at", "released_at", "created_at", "updated_at"],
        plans,
    )
    ids = L.ids(ProjectRelease, len(releases))
    L.copy(
        ProjectRelease,
        [
            "id",
            "plan_id",
            "project_id",
            "fix_url",
            "status",
            "ready_at",
            "released_at",
            "updated_at",
        ],
        ((ids[k], *r) for k, r in enumerate(releases)),
    )
    ids = L.ids(PreNotification, len(prenotes))
    L.copy(
        PreNotification,
        [
            "id",
            "plan_id",
            "organisation_id",
            "notify_at",
            "sent_at",
            "sent_by_id",
            "acknowledged_at",
            "created_at",
        ],
        ((ids[k], *r, now) for k, r in enumerate(prenotes)),
    )
    ids = L.ids(DeploymentReport, len(deployments))
    L.copy(
        DeploymentReport,
        ["id", "case_id", "organisation_id", "status", "reported_at", "deployed_at"],
        ((ids[k], cid, org, st, at, at) for k, (cid, org, st, at) in enumerate(deployments)),
    )

    # Silent maintainers: the acknowledgement reminders and escalations due now.
    silent = [
        (pk, case_id)
        for pk, case_id, _, role in s.org_participants
        if role == ParticipantRole.MAINTAINER and case_id not in taken | due_deploy
    ]
    open_ids = {c["id"] for c in open_cases}
    silent = [pk for pk, case_id in silent if case_id in open_ids]
    rng.shuffle(silent)
    n_rem, n_esc = due["ack_reminder"], due["ack_escalation"]
    with connection.cursor() as cursor:
        for pks, age in ((silent[:n_rem], "30 hours"), (silent[n_rem : n_rem + n_esc], "3 days")):
            cursor.execute(
                "UPDATE cases_participant SET acknowledged_at = NULL, acknowledged_by_id = NULL,"
                " invited_at = %s::timestamptz - %s::interval WHERE id = ANY(%s)",
                [now, age, pks],
            )
        # Nor have they said whether they are affected (due in days, not now).
        cursor.execute(
            "DELETE FROM cases_vendorstatus vs USING cases_vulnerability v, cases_participant p"
            " WHERE vs.vulnerability_id = v.id AND p.case_id = v.case_id"
            " AND p.organisation_id = vs.organisation_id AND p.id = ANY(%s)",
            [silent[: n_rem + n_esc]],
        )

    # Advisories: published for every public case, with the frozen public content.
    public = [c for c in cases if c["state"] in PUBLIC]
    prefix, osv = settings.ADVISORY_ID_PREFIX, settings.OSV_ID_PREFIX
    per_year: dict[int, int] = {}
    osv_per_year: dict[int, int] = {}
    osv_rows: list[tuple[Any, ...]] = []
    adv_ids = L.ids(Advisory, len(public))
    rev_ids = L.ids(AdvisoryRevision, len(public))
    advisories, revisions = [], []
    org_name = _org_names()
    for k, c in enumerate(sorted(public, key=lambda c: c["public_at"])):
        year = c["public_at"].year
        per_year[year] = per_year.get(year, 0) + 1
        identifier = f"{prefix}-{year}-{per_year[year]:04d}"
        summary = f"{c['flaw'][0]} ({c['flaw'][1]}) reachable from untrusted input."
        # OSV ids: a sequence of their own, assigned at publication (OsvIdentifier).
        osv_ids = []
        for vuln in c["vuln_info"]:
            osv_per_year[year] = osv_per_year.get(year, 0) + 1
            osv_ids.append(f"{osv}-{year}-{osv_per_year[year]:04d}")
            osv_rows.append((osv_ids[-1], adv_ids[k], vuln[0], c["public_at"]))
        content = _content(s, c, identifier, summary, osv_ids, org_name, cwe_name)
        published = c["public_at"]
        advisories.append(
            (
                adv_ids[k],
                c["id"],
                identifier,
                c["title"],
                summary,
                "",
                "",
                "[]",
                "published",
                c["coordinator"],
                published - timedelta(days=3),
                published - timedelta(days=2),
                published,
                1,
                published - timedelta(days=5),
                published,
            )
        )
        revisions.append(
            (
                rev_ids[k],
                adv_ids[k],
                1,
                "Initial publication.",
                published,
                c["coordinator"],
                json.dumps(content),
                " ".join(v[2] for v in c["vuln_info"] if v[2]),
            )
        )
    L.copy(
        Advisory,
        [
            "id",
            "case_id",
            "identifier",
            "title",
            "summary",
            "details",
            "workarounds",
            "references",
            "state",
            "author_id",
            "submitted_at",
            "approved_at",
            "published_at",
            "revision",
            "created_at",
            "updated_at",
        ],
        advisories,
    )
    L.copy(
        AdvisoryRevision,
        [
            "id",
            "advisory_id",
            "number",
            "summary",
            "published_at",
            "published_by_id",
            "content",
            "search_text",
        ],
        revisions,
    )
    L.copy(AdvisoryCounter, ["year", "last_number"], sorted(per_year.items()))
    osv_pks = L.ids(OsvIdentifier, len(osv_rows))
    L.copy(
        OsvIdentifier,
        ["id", "osv_id", "advisory_id", "vulnerability_id", "assigned_at"],
        [(pk, *row) for pk, row in zip(osv_pks, osv_rows, strict=True)],
    )
    L.copy(OsvIdCounter, ["year", "last_number"], sorted(osv_per_year.items()))


def _org_names() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM cases_organisation")
        return dict(cursor.fetchall())


def _laggard(c: dict[str, Any]) -> int:
    """The partner or downstream organisation of a case that has not deployed."""
    return next(o for o, r in c["orgs"] if r != ParticipantRole.MAINTAINER)


def _content(
    s: ScaleSeeder,
    c: dict[str, Any],
    identifier: str,
    summary: str,
    osv_ids: list[str],
    org_name: dict[int, str],
    cwe_name: Any,
) -> dict[str, Any]:
    """What ``disclosure.advisories.content.build_content`` freezes at publication (a test
    compares)."""
    projects = sorted(
        (
            {
                "name": s.project_name[p],
                "vendor": org_name[s.project_org[p]],
                "repository_url": f"https://git.example.org/{s.project_name[p]}",
                "purls": [s.project_purl[p]],
            }
            for p in c["projects"]
        ),
        key=lambda p: p["name"],
    )
    first = s.project_name[c["projects"][0]]
    project = next(p for p in projects if p["name"] == first)
    vulns = []
    for n, (vid, title, cve, vector, score) in enumerate(c["vuln_info"], start=1):
        vulns.append(
            {
                "vulnerability_id": vid,
                "osv_id": osv_ids[n - 1],
                "title": title,
                "description": "See the case summary.",
                "cwe": c["flaw"][1],
                "cwe_name": cwe_name(c["flaw"][1]),
                "cve_id": cve,
                "cvss3_vector": vector,
                "cvss3_score": float(score),
                "cvss4_vector": "",
                "cvss4_score": None,
                "severity": severity_for_score(float(score)),
                "affected": [
                    {
                        "purl": s.project_purl[c["projects"][0]],
                        "vers": "vers:generic/>=1.0.0|<1.9.3",
                        "fixed_versions": ["1.9.3"],
                        "product": project["name"],
                        "vendor": project["vendor"],
                        "repository_url": project["repository_url"],
                    }
                ],
                "workarounds": "",
                "vendor_statuses": [],
                "credits": [
                    {"name": f"Reporter {c['reporters'][0]}", "kind": "finder", "label": "Finder"}
                ]
                if n == 1
                else [],
            }
        )
    from bench.scale import VECTORS

    severity = {v: sv for v, _, sv in VECTORS}[c["vector"]]
    return {
        "identifier": identifier,
        "title": c["title"],
        "summary": summary,
        "details": "",
        "workarounds": "",
        "vulnerability_workarounds": {},
        "references": [],
        "severity": str(severity),
        "projects": projects,
        "vulnerabilities": vulns,
    }


def csaf_case(seeder: ScaleSeeder) -> None:
    """An advisory with 50 products and 10 vulnerabilities, through the real workflow."""
    from django.contrib.auth import get_user_model

    from cases import services
    from cases.models import AffectedPackage, Case, Project, Vulnerability
    from disclosure.models import (
        Advisory,
        Embargo,
        EmbargoState,
        ProjectRelease,
        ReleasePlan,
        ReleaseStatus,
    )

    User = get_user_model()
    coordinator = User.objects.get(pk=seeder.bench_coordinator)
    reviewer = User.objects.get(pk=seeder.coordinators[1])
    reporter = User.objects.get(pk=seeder.partner_reporters[0])
    report, _ = services.submit_report(
        reporter=reporter,
        title=CSAF_CASE_TITLE,
        description="Ten flaws across five packages, found by one fuzzing campaign.",
        purl="pkg:pypi/bench-lib@1.0.0",
        vers="vers:pypi/>=1.0.0|<2.0.0",
        cwe="CWE-787",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    projects = list(Project.objects.order_by("pk")[:5])
    case = services.open_case_from_report(report, coordinator, projects=projects)
    case.vulnerabilities.all().delete()
    cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    for v in range(10):
        vuln = Vulnerability.objects.create(
            case=case,
            title=f"Flaw {v + 1} of the campaign",
            description="Memory corruption reachable from untrusted input.",
            cwe="CWE-787",
            cvss3_vector=cvss,
            cvss3_score="9.8",
            cve_id=f"CVE-2026-{90000 + v}",
        )
        # 5 per vulnerability, 50 distinct (package, version range) products in all.
        for p, project in enumerate(projects):
            purl = project.purls[0]
            AffectedPackage.objects.create(
                vulnerability=vuln,
                purl=purl,
                vers=f"vers:{purl.split(':')[1].split('/')[0]}/>={v}.{p}.0|<{v}.{p}.9",
                fixed_versions=[f"{v}.{p}.9"],
            )
    Case.objects.filter(pk=case.pk).update(state=CaseState.RELEASED)
    # The release gate (disclosure/models/gate.py): every project released its fix.
    released = seeder.now - timedelta(hours=2)
    plan = ReleasePlan.objects.create(
        case=case, target_at=released, fixed_at=released, released_at=released
    )
    ProjectRelease.objects.bulk_create(
        ProjectRelease(
            plan=plan,
            project=project,
            status=ReleaseStatus.RELEASED,
            ready_at=released,
            released_at=released,
        )
        for project in projects
    )
    Embargo.objects.update_or_create(
        case=case,
        defaults={
            "state": EmbargoState.LIFTED,
            "public_at": seeder.now - timedelta(hours=1),
            "lifted_at": seeder.now - timedelta(hours=1),
        },
    )
    advisory = Advisory.create_for_case(case, coordinator)
    advisory = advisory.submit(coordinator)
    advisory = advisory.approve(reviewer)
    advisory.publish(coordinator)
