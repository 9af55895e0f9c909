"""The in-process scenarios of issue 7, run against one seeded database.

``python -m bench.scenarios --iterations 50`` prints one JSON object: the results of
every scenario (see ``bench.measure.Result``) and facts about the data set. The
orchestrator (``python -m bench``) runs it once per database and compares.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any


def configure_environment() -> None:
    """Production settings, plus what an in-process client and the floor need."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
    os.environ["DEBUG"] = "0"
    os.environ["BENCH_FLOOR_VIEW"] = "1"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    os.environ["CSRF_COOKIE_SECURE"] = "0"
    # The API throttles count requests per token: a benchmark is not abuse.
    os.environ["API_THROTTLE_TOKEN"] = "100000000/hour"  # noqa: S105 - a rate, not a secret
    os.environ["API_THROTTLE_ANON"] = "100000000/hour"
    os.environ["API_THROTTLE_REPORT_SUBMIT"] = "100000000/hour"
    os.environ.setdefault("LOG_LEVEL", "WARNING")


class Personas:
    """The ``bench-*`` users of the scale data set, signed in the way real users are."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        User = get_user_model()
        self.coordinator = User.objects.get(username="bench-coordinator")
        self.maintainer = User.objects.get(username="bench-maintainer")
        self.partner = User.objects.get(username="bench-partner")
        self._token_ids: list[int] = []

    def web(self, user: Any) -> Any:
        """A browser session; coordinators have passed their second factor."""
        from django.test import Client

        client = Client()
        client.force_login(user)
        _second_factor_passed(client, user)
        return client

    def api(self, user: Any) -> Any:
        """A program with an API token, as partners use the API."""
        from django.test import Client
        from knox.models import AuthToken

        token, secret = AuthToken.objects.create(user=user, expiry=timedelta(hours=6))
        self._token_ids.append(token.pk)
        from cases.models import ApiToken

        ApiToken.objects.create(token=token, user=user, name="bench")
        return Client(HTTP_AUTHORIZATION=f"Token {secret}")

    def close(self) -> None:
        from knox.models import AuthToken

        AuthToken.objects.filter(pk__in=self._token_ids).delete()


def _second_factor_passed(client: Any, user: Any) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.accounts.mfa import requires_second_factor

    if not requires_second_factor(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# --------------------------------------------------------------------------- scenarios


class Rollback(Exception):
    """Raised to undo what one iteration of a writing scenario changed."""


def run_all(iterations: int, only: set[str] | None = None) -> dict[str, Any]:
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from bench.measure import Result, expect_status, measure
    from bench.scale import LARGE_CASE_TITLE
    from cases.models import Case, Report, ReportStatus

    people = Personas()
    results: list[Result] = []
    ok = expect_status(200)
    large = Case.objects.get(title=LARGE_CASE_TITLE)
    any_ref = large.reference

    def run(name: str, build: Callable[[], tuple[Callable[[int], Any], Any]], **kw: Any) -> None:
        if only and name not in only:
            return
        try:
            call, check, *info = build()
            result = measure(name, call, iterations=kw.pop("n", iterations), check=check, **kw)
            if info:
                result.extra.update(info[0])
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not stop the rest
            result = Result(name=name, error=f"{type(exc).__name__}: {exc}"[:300])
        results.append(result)
        print(
            f"  {name}: {result.median_ms} ms, {result.queries_max} queries {result.error}",
            file=sys.stderr,
        )

    # -- floors: the cheapest authenticated web page and API call
    def floor_web() -> Any:
        client = people.web(people.maintainer)
        url = reverse("bench:floor") + f"?ref={any_ref}"
        return (lambda i: client.get(url)), ok

    def floor_api() -> Any:
        client = people.api(people.partner)
        url = reverse("bench:floor_api") + f"?ref={any_ref}"
        return (lambda i: client.get(url)), ok

    run("floor_web", floor_web)
    run("floor_api", floor_api)
    # The floors again, run side by side with each page they are the floor of
    # (``measure(floor=...)``): the ratios the targets name come from these pairs.
    web_floor, api_floor = floor_web()[0], floor_api()[0]

    # -- the maintainer's case list: 20 visible cases
    def maintainer_list_web() -> Any:
        client = people.web(people.maintainer)
        url = reverse("cases:case_list")
        return (lambda i: client.get(url)), ok

    def maintainer_list_api() -> Any:
        client = people.api(people.maintainer)
        url = reverse("api:case-list")
        return (lambda i: client.get(url)), ok

    run("maintainer_case_list_web", maintainer_list_web, floor=web_floor)
    run("maintainer_case_list_api", maintainer_list_api, floor=api_floor)

    # -- the coordinator's dashboard
    def dashboard() -> Any:
        client = people.web(people.coordinator)
        url = reverse("cases:home")
        return (lambda i: client.get(url)), ok

    run("coordinator_dashboard", dashboard, floor=web_floor)

    # -- the very large case, and an ordinary one for the query count
    def detail(case: Case) -> Callable[[], Any]:
        def build() -> Any:
            client = people.web(people.coordinator)
            url = reverse("cases:case_detail", args=[case.reference])
            return (lambda i: client.get(url)), ok

        return build

    # The comparison for the query count: an ordinary open case with the same panels
    # (partners or downstream take part, so the pre-notification and deployment
    # forms show), a few participants, about ten comments.
    ordinary = (
        Case.objects.filter(state="in_progress", participants__role__in=["partner", "downstream"])
        .exclude(pk=large.pk)
        .order_by("-updated_at")
        .first()
    )
    run("large_case_detail", detail(large), floor=web_floor)
    if ordinary is not None:
        run("ordinary_case_detail", detail(ordinary), n=max(5, iterations // 2), floor=web_floor)

    # The same pages rendered in full, as the first view after a change to the case
    # renders them (cases/page_cache.py keeps the fragments until the next change).
    def uncached(build: Callable[[], Any]) -> Callable[[], Any]:
        def without_fragments() -> Any:
            from django.test import override_settings

            call, check = build()

            def render_in_full(i: int) -> Any:
                with override_settings(CASE_PAGE_CACHE_SECONDS=0):
                    return call(i)

            return render_in_full, check

        return without_fragments

    run(
        "large_case_detail_uncached",
        uncached(detail(large)),
        n=max(5, iterations // 3),
        floor=web_floor,
    )
    if ordinary is not None:
        run(
            "ordinary_case_detail_uncached",
            uncached(detail(ordinary)),
            n=max(5, iterations // 3),
            floor=web_floor,
        )

    # -- a partner syncing its cases through the API, page after page
    def partner_pages() -> Any:
        client = people.api(people.partner)
        url = reverse("api:case-list")
        pages = [url]
        while len(pages) < 6:
            body = client.get(pages[-1]).json()
            if not body.get("next"):
                break
            pages.append(body["next"])
        return (lambda i: client.get(pages[i % len(pages)])), ok

    run("partner_api_cursor_pages", partner_pages, floor=api_floor)

    # -- duplicate candidates for a report waiting in triage
    def duplicates() -> Any:
        from cases.duplicates import candidates_for

        report = Report.objects.filter(status=ReportStatus.NEW).order_by("-received_at").first()
        return (lambda i: candidates_for(report)), None

    run("duplicate_candidates", duplicates)

    # -- the deadline sweep, undone after every run so each one does the full work
    def deadline_sweep() -> Any:
        from django.db import connection

        from disclosure.notifications.sweep import sweep

        # Each rolled-back iteration leaves its outbox rows dead; a server without
        # autovacuum (this machine's) would measure its own leftovers from earlier runs.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_notification, notifications_deadlinemark")
        now = timezone.now()
        found: dict[str, int] = {}

        def call(i: int) -> None:
            try:
                with transaction.atomic():
                    found["written"] = sweep(now)
                    raise Rollback
            except Rollback:
                pass

        return call, None, found

    run("deadline_sweep", deadline_sweep, n=max(5, iterations // 5))

    # -- a SARIF log of 1,000 findings (issue 12): accepted (202), then processed with
    # duplicate candidates by one worker; both undone after every run
    def sarif_accept() -> Any:
        client = people.api(people.partner)
        url = reverse("api:report_sarif_create")
        body = json.dumps(_sarif_log(SARIF_FINDINGS))
        answers: dict[str, int] = {}

        def call(i: int) -> Any:
            try:
                with transaction.atomic():
                    response = client.post(url, data=body, content_type="application/json")
                    answers["status"] = response.status_code
                    raise Rollback
            except Rollback:
                pass
            return answers["status"]

        def check(status: int) -> str | None:
            return None if status == 202 else f"answered {status}, not 202"

        return call, check, {"findings": SARIF_FINDINGS, "bytes": len(body)}

    def sarif_processing() -> Any:
        from cases import batches
        from cases.models import ReportBatch

        findings = batches.findings_from_sarif(_sarif_log(SARIF_FINDINGS))
        facts: dict[str, Any] = {"findings": SARIF_FINDINGS}
        record_candidates = batches._record_candidates

        def timed_candidates(batch_id: int, report_ids: list[int]) -> None:
            started = time.perf_counter()
            record_candidates(batch_id, report_ids)
            facts["candidates_s"] = facts.get("candidates_s", 0) + time.perf_counter() - started

        def call(i: int) -> None:
            facts["candidates_s"] = 0
            batches._record_candidates = timed_candidates
            try:
                with transaction.atomic():
                    batch = batches.submit_batch(
                        submitted_by=people.partner,
                        source=ReportBatch.Source.SARIF,
                        findings=findings,
                    )
                    batches.process_batch(batch.pk)  # what the task does
                    batch.refresh_from_db()
                    facts["created"] = batch.created_count
                    facts["with_candidates"] = len(batch.candidates)
                    raise Rollback
            except Rollback:
                pass
            finally:
                batches._record_candidates = record_candidates
            created = max(facts.get("created", 0), 1)
            facts["candidates_ms_per_finding"] = round(facts["candidates_s"] * 1000 / created, 1)

        return call, None, facts

    run("sarif_batch_accept", sarif_accept, n=max(5, iterations // 3))
    run("sarif_batch_processing", sarif_processing, n=2, warmup=0, count_queries=False)

    # -- CSAF export of the advisory with 50 products and 10 vulnerabilities
    def csaf() -> Any:
        from bench.scale_disclosure import CSAF_CASE_TITLE
        from disclosure.advisories.formats.csaf import render
        from disclosure.models import Advisory

        advisory = Advisory.objects.get(case__title=CSAF_CASE_TITLE)
        return (lambda i: render(advisory)), None

    run("csaf_export", csaf)

    people.close()
    return {
        "database": _database_facts(),
        "results": [r.as_dict() for r in results],
    }


SARIF_FINDINGS = 1000
_FLAWS = [
    ("py/path-injection", "CWE-22", "a path built from user input reaches open()"),
    ("py/sql-injection", "CWE-89", "a query string built from request parameters"),
    ("py/reflective-xss", "CWE-79", "request data written to the page unescaped"),
    ("py/unsafe-deserialization", "CWE-502", "pickle.loads() of data from the network"),
    ("py/regex-injection", "CWE-730", "a user-supplied pattern compiled as a regex"),
]


def _sarif_log(count: int) -> dict[str, Any]:
    """A scanner's log for one package of the data set: ``count`` results spread over
    five rules and many files, each with its own partial fingerprint."""
    from cases.models import Project

    project = Project.objects.exclude(purls=[]).order_by("pk").first()
    purl = project.purls[0] if project is not None else "pkg:pypi/bench-sarif"
    rules = [
        {"id": rule, "shortDescription": {"text": text}, "properties": {"tags": [cwe]}}
        for rule, cwe, text in _FLAWS
    ]
    results = []
    for i in range(count):
        rule = i % len(_FLAWS)
        results.append(
            {
                "ruleId": _FLAWS[rule][0],
                "ruleIndex": rule,
                "message": {
                    "text": f"In handler_{i}: {_FLAWS[rule][2]} (module {i // 7}, call {i})."
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/module_{i // 7}.py"},
                            "region": {"startLine": 10 + i % 400},
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": f"bench{i:06d}:1"},
            }
        )
    return {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "BenchScanner", "version": "1.0", "rules": rules}},
                "properties": {"purl": purl},
                "results": results,
            }
        ],
    }


def _database_facts() -> dict[str, Any]:
    from cases.models import Case, Comment, Participant, Report, TimelineEntry

    return {
        "cases": Case.objects.count(),
        "reports": Report.objects.count(),
        "participants": Participant.objects.count(),
        "comments": Comment.objects.count(),
        "timeline": TimelineEntry.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    configure_environment()
    import django

    django.setup()
    only = {s for s in args.only.split(",") if s} or None
    print(json.dumps(run_all(args.iterations, only)))


if __name__ == "__main__":
    main()
