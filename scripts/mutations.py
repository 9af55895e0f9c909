"""Re-check that the suite catches the confidentiality mistakes it was written for.

Issue 10 (section 7): five plausible one-line mistakes once passed the whole suite.
Each is kept here as a text patch, with the tests that must now fail because of it;
three more are the leaks of sections 2 and 4 themselves. For each mutation this script
applies the patch to a temporary copy of the working tree (never to the tree itself,
which other people may be testing), runs those tests there against your test database
and reports whether they caught it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/akrites .venv/bin/python scripts/mutations.py
    ... scripts/mutations.py --only calendar-release-plans-unfiltered --workers 2

Exit status 0 when every mutation was caught; 1 when one was not (or no longer
applies: the code it patches changed, so update the patch to the new code).
Without ``--no-baseline`` the tests first run on the unpatched copy and must pass, so
a failure can only be the mutation's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIFFERENTIAL = "tests/test_differential_visibility.py"
CANARY = "tests/test_canary.py"


@dataclass(frozen=True)
class Mutation:
    name: str
    what: str
    path: str  # relative to the repository
    patches: tuple[tuple[str, str], ...]  # (exact text, replacement); each must match once
    # Groups of pytest arguments: each group must fail on the mutated code.
    tests: tuple[tuple[str, ...], ...]


MUTATIONS = (
    Mutation(
        "api-case-list-participants",
        "(a) a `participants` field (every participant's name) in the API case list",
        "cases/serializers.py",
        (
            (
                """        model = Case
        fields = [
            "reference",
            "title",
""",
                """        model = Case
        fields = [
            "reference",
            "participants",
            "title",
""",
            ),
            (
                "    def get_title(self, case: Case) -> str:\n",
                "    participants = serializers.SerializerMethodField()\n\n"
                "    def get_participants(self, case: Case) -> list[str]:\n"
                "        return [p.display_name for p in case.participants.all()]\n\n"
                "    def get_title(self, case: Case) -> str:\n",
            ),
        ),
        ((DIFFERENTIAL, "-k", "api_shows and reporter_b"),),
    ),
    Mutation(
        "public-osv-from-draft",
        "(b) the public per-advisory OSV file rendered from the unpublished working copy",
        "disclosure/advisories/public_views.py",
        (
            (
                "record = osv.render(advisory).get(osv_id)",
                "record = osv.render(advisory, preview=True).get(osv_id)",
            ),
        ),
        ((CANARY, "-k", "public_files and anonymous"),),
    ),
    Mutation(
        "calendar-release-plans-unfiltered",
        "(c) the calendar feed's release-plan query without its case filter",
        "disclosure/calendar.py",
        (
            (
                "ReleasePlan.objects.filter(case__in=cases, target_at__isnull=False)",
                "ReleasePlan.objects.filter(target_at__isnull=False)",
            ),
        ),
        (
            (CANARY, "-k", "leaves_no_trace and other_maintainer"),
            (DIFFERENTIAL, "-k", "calendar and other_maintainer"),
        ),
    ),
    Mutation(
        "staff-sees-every-case",
        "(d) filter_visible letting Django staff (is_staff, not SIRT) see every case",
        "cases/access/core.py",
        (
            (
                "    if is_sirt(user):\n        return queryset\n",
                "    if is_sirt(user) or user.is_staff:\n        return queryset\n",
            ),
        ),
        (
            (CANARY, "-k", "leaves_no_trace and staff"),
            (DIFFERENTIAL, "-k", "api_shows and staff"),
        ),
    ),
    Mutation(
        "other-reporters-report-attachments",
        "(e) attachments on another reporter's report, uploaded by someone else, listed",
        "cases/access/case_access.py",
        (
            (
                ".exclude(\n"
                "                Q(report__isnull=False) & ~Q(report__reporter=self.user)\n"
                "            )\n",
                "\n",
            ),
        ),
        ((DIFFERENTIAL, "-k", "api_shows and reporter_b"),),
    ),
    Mutation(
        "api-every-credit",
        "(section 2) the API's credits read from every credit, not the visible ones",
        "cases/serializers.py",
        (
            (
                "[c.name for c in vuln.visible_credits if c.consented]",
                "[c.name for c in vuln.credits.all() if c.consented]",
            ),
        ),
        ((DIFFERENTIAL, "-k", "api_shows and reporter_b"),),
    ),
    Mutation(
        "api-raw-vulnerability-title",
        "(section 4) the API serves a title copied from a report to every participant",
        "cases/serializers.py",
        (
            (
                'data["title"] = case_access_for(self, instance).vulnerability_title(instance)',
                'data["title"] = instance.title',
            ),
        ),
        ((DIFFERENTIAL, "-k", "api_shows and reporter_b"),),
    ),
    Mutation(
        "web-raw-case-title",
        "(section 4) the case page shows a title copied from a report to every participant",
        "templates/cases/case_detail.html",
        (("· {{ access.case_title }}</h1>", "· {{ case.title }}</h1>"),),
        ((DIFFERENTIAL, "-k", "api_shows and partner"),),
    ),
)


def snapshot(destination: Path) -> None:
    """The working tree as it is now: tracked and untracked files, nothing ignored."""
    listed = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        source = ROOT / raw.decode()
        if source.is_file():
            target = destination / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_tests(copy: Path, args: tuple[str, ...], workers: str) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if workers != "0":
        command += ["-n", workers]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(  # noqa: S603 - our own test runner
        [*command, *args], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else result.stderr.strip()[-200:]
    return result.returncode, f"{summary} (exit {result.returncode})"


def apply(copy: Path, mutation: Mutation) -> str | None:
    """Patch the copy; the reason it does not apply, if it does not."""
    target = copy / mutation.path
    text = target.read_text()
    for old, new in mutation.patches:
        if text.count(old) != 1:
            return f"{mutation.path}: the text to patch is found {text.count(old)} times"
        text = text.replace(old, new)
    target.write_text(text)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="a mutation's name (repeatable)")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (0: none)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unpatched run")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    options = parser.parse_args()
    chosen = [m for m in MUTATIONS if not options.only or m.name in options.only]
    if options.list or not chosen:
        for m in MUTATIONS:
            print(f"{m.name:38} {m.what}")
        return 0 if chosen else 2
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL to your PostgreSQL test database.", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="akrites-mutations-") as tmp:
        copy = Path(tmp)
        snapshot(copy)
        where = subprocess.run(
            [sys.executable, "-c", "import cases; print(cases.__file__)"],
            cwd=copy,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(str(copy)):
            print(f"the copy imports the project from {where}, not from {copy}", file=sys.stderr)
            return 2
        if not options.no_baseline:
            groups = dict.fromkeys(group for m in chosen for group in m.tests)
            for group in groups:
                code, summary = run_tests(copy, group, options.workers)
                if code != 0:
                    print(f"baseline fails, fix it first: {' '.join(group)}: {summary}")
                    return 1
            print(f"baseline: {len(groups)} test selections pass unpatched\n")
        results = []
        for mutation in chosen:
            original = (copy / mutation.path).read_text()
            problem = apply(copy, mutation)
            if problem is not None:
                results.append((mutation, "NO LONGER APPLIES", [problem]))
                continue
            outcomes = []
            for group in mutation.tests:
                code, summary = run_tests(copy, group, options.workers)
                # pytest exits 1 when tests failed; anything else (2: interrupted, 5: no
                # test selected, ...) says nothing about the mutation.
                verdict = "caught" if code == 1 else "NOT caught" if code == 0 else "error"
                outcomes.append((verdict, f"{' '.join(group)}: {summary}"))
            (copy / mutation.path).write_text(original)
            caught = all(v == "caught" for v, _ in outcomes)
            status = "caught" if caught else "NOT CAUGHT"
            results.append((mutation, status, [f"{v}: {line}" for v, line in outcomes]))
            print(f"{status:10} {mutation.name}", flush=True)

    print()
    for mutation, status, details in results:
        print(f"{status:18} {mutation.name}: {mutation.what}")
        for line in details:
            print(f"{'':18}   {line}")
    return 0 if all(status == "caught" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
