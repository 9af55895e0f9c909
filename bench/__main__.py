"""``make bench``: build the data sets if needed, run every scenario, print the table.

    python -m bench [--iterations 30] [--seconds 60] [--clients 50] [--skip-http] [--huge]

Two databases, each built once by ``seed_scale`` and reused afterwards:
``DATABASE_URL`` (100,000 cases) and ``BENCH_SMALL_DATABASE_URL`` (10,000 cases and
10,000 reports; default: the first name with ``_10k`` appended), for the targets
that compare a figure with itself at a tenth of the size; with ``--huge``,
``BENCH_HUGE_DATABASE_URL`` (default: the first name with ``_1m``; 1,000,000 cases)
for the lists and the case page at ten times the size. Results are printed as
a Markdown table and saved to ``.data/bench-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import report

ROOT = Path(__file__).resolve().parent.parent
# What the 1,000,000-case comparison measures (``--huge``): the pages whose cost must
# not grow with the portal, and their floors.
HUGE_SCENARIOS = ",".join(
    [
        "floor_web",
        "floor_api",
        "maintainer_case_list_web",
        "maintainer_case_list_api",
        "partner_api_cursor_pages",
        "ordinary_case_detail",
        "ordinary_case_detail_uncached",
        "large_case_detail",
    ]
)
PY = sys.executable


def _env(database_url: str) -> dict[str, str]:
    from bench.scenarios import configure_environment

    configure_environment()
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    return env


def ensure_database(url: str, cases: int, reports: int | None) -> None:
    """Create, migrate and (when empty) seed one benchmark database."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = _env(url)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    seed = [PY, "manage.py", "seed_scale", "--cases", str(cases), "--if-empty"]
    if reports is not None:
        seed += ["--reports", str(reports)]
    started = time.perf_counter()
    subprocess.run(seed, cwd=ROOT, env=env, check=True)
    print(f"  {name}: ready ({time.perf_counter() - started:.0f}s)", file=sys.stderr)


def run_scenarios(url: str, iterations: int, only: str) -> dict[str, Any]:
    cmd = [PY, "-m", "bench.scenarios", "--iterations", str(iterations)]
    if only:
        cmd += ["--only", only]
    out = subprocess.run(cmd, cwd=ROOT, env=_env(url), capture_output=True, text=True)
    sys.stderr.write(out.stderr[-4000:] if out.returncode else out.stderr)
    out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--small-cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=60, help="duration of each load run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--skip-http", action="store_true", help="only in-process scenarios")
    parser.add_argument("--skip-small", action="store_true", help="no 10,000-case comparison")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument(
        "--huge",
        action="store_true",
        help="also measure the lists and the case page at --huge-cases (built once, long)",
    )
    parser.add_argument("--huge-cases", type=int, default=1_000_000)
    args = parser.parse_args()

    large_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/akrites_scale")
    small_url = os.environ.get("BENCH_SMALL_DATABASE_URL", f"{large_url}_10k")
    huge_url = os.environ.get("BENCH_HUGE_DATABASE_URL", f"{large_url}_1m")
    if not large_url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs DATABASE_URL=postgres://... (the data set is loaded with COPY)")

    print("Preparing the data sets (first run: a few minutes) ...", file=sys.stderr)
    ensure_database(large_url, args.cases, None)
    if not args.skip_small:
        ensure_database(small_url, args.small_cases, args.small_cases)
    if args.huge:
        ensure_database(huge_url, args.huge_cases, None)
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=_env(large_url),
        check=True,
    )

    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    print(f"In-process scenarios at {args.cases:,} cases ...", file=sys.stderr)
    results["large"] = run_scenarios(large_url, args.iterations, args.only)
    if not args.skip_small:
        print(f"In-process scenarios at {args.small_cases:,} cases ...", file=sys.stderr)
        results["small"] = run_scenarios(small_url, args.iterations, args.only)
    if args.huge:
        print(f"In-process scenarios at {args.huge_cases:,} cases ...", file=sys.stderr)
        results["huge"] = run_scenarios(huge_url, args.iterations, args.only or HUGE_SCENARIOS)
    if not args.skip_http:
        from bench import http

        os.environ["DATABASE_URL"] = large_url
        print(f"Throughput: {args.clients} clients x {args.seconds}s ...", file=sys.stderr)
        results["throughput"] = http.throughput(args.clients, args.seconds)
        print("Memory: one worker after 1,000 requests ...", file=sys.stderr)
        results["memory"] = http.memory(1000)

    out = ROOT / ".data" / "bench-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(report.table(results))
    print(f"\n(raw figures: {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
