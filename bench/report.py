"""The results table: each scenario next to its target from issue 7."""

from __future__ import annotations

from typing import Any


def _by_name(run: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in (run or {}).get("results", [])}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if not a or not b else a / b


def _queries(r: dict[str, Any]) -> str:
    lo, hi = r.get("queries_min"), r.get("queries_max")
    if lo is None:
        return "-"
    return str(lo) if lo == hi else f"{lo}-{hi}"


def evaluate(results: dict[str, Any]) -> list[dict[str, str]]:
    large, small = _by_name(results.get("large")), _by_name(results.get("small"))
    rows: list[dict[str, str]] = []

    def row(name: str, target: str, verdict: bool | None, note: str = "") -> None:
        r = large.get(name, {"name": name, "error": "not run"})
        rows.append(
            {
                "scenario": name,
                "median": _ms(r.get("median_ms")),
                "p95": _ms(r.get("p95_ms")),
                "queries": _queries(r),
                "target": target,
                "result": "error: " + r["error"] if r.get("error") else note,
                "met": "-" if verdict is None or r.get("error") else ("yes" if verdict else "NO"),
            }
        )

    def median(run: dict[str, dict[str, Any]], name: str) -> float | None:
        return run.get(name, {}).get("median_ms")

    def vs_floor(run: dict[str, dict[str, Any]], name: str, floor: float | None) -> float | None:
        """The scenario against its floor measured side by side with it (``floor_ms``),
        else against the floor scenario of the same run."""
        side_by_side = run.get(name, {}).get("extra", {}).get("floor_ms")
        return _ratio(median(run, name), side_by_side or floor)

    def vs_other_size(
        run: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]], name: str
    ) -> float | None:
        """The scenario at one size against another size: the ratio of their ratios to
        the floors measured side by side (the floors cost the same at every size, so
        this cancels what the machine's load did between the two runs), else of the
        plain medians."""
        a, b = run.get(name, {}), other.get(name, {})
        fa_, fb_ = a.get("extra", {}).get("floor_ms"), b.get("extra", {}).get("floor_ms")
        if fa_ and fb_:
            return _ratio(_ratio(a.get("median_ms"), fa_), _ratio(b.get("median_ms"), fb_))
        return _ratio(a.get("median_ms"), b.get("median_ms"))

    fw, fa = median(large, "floor_web"), median(large, "floor_api")
    row("floor_web", "the web floor", None, "1.0x")
    row("floor_api", "the API floor", None, "1.0x")

    for name, floor, label in (
        ("maintainer_case_list_web", fw, "web"),
        ("maintainer_case_list_api", fa, "API"),
    ):
        ratio = vs_floor(large, name, floor)
        vs_small = vs_other_size(large, small, name)
        ok = ratio is not None and ratio <= 2 and (vs_small is None or vs_small <= 1.3)
        row(
            name,
            f"<= 2x {label} floor; <= 1.3x at 10k",
            ok if ratio is not None else None,
            f"{ratio or 0:.2f}x floor; {vs_small or 0:.2f}x the 10k figure",
        )

    vs = vs_floor(large, "coordinator_dashboard", fw)
    row(
        "coordinator_dashboard",
        "<= 5x web floor",
        None if vs is None else vs <= 5,
        f"{vs or 0:.2f}x floor",
    )

    big, ordinary = large.get("large_case_detail", {}), large.get("ordinary_case_detail", {})
    constant = (
        big.get("queries_max") is not None
        and big.get("queries_max") == big.get("queries_min")
        and big.get("queries_max") == ordinary.get("queries_max")
    )
    m = big.get("median_ms")
    row(
        "large_case_detail",
        "< 150 ms; constant queries",
        None if m is None else (m < 150 and constant),
        f"{vs_floor(large, 'large_case_detail', fw) or 0:.1f}x floor;"
        f" queries as an ordinary case's: {constant}",
    )
    vs = vs_floor(large, "ordinary_case_detail", fw)
    row(
        "ordinary_case_detail",
        "<= 4x web floor",
        None if vs is None else vs <= 4,
        f"{vs or 0:.2f}x floor",
    )

    for name in ("ordinary_case_detail_uncached", "large_case_detail_uncached"):
        vs = vs_floor(large, name, fw)
        row(
            name,
            "(no target: the first view after a change, rendered in full)",
            None,
            f"{vs or 0:.1f}x floor",
        )

    pages = large.get("partner_api_cursor_pages", {})
    vs = vs_floor(large, "partner_api_cursor_pages", fa)
    const = pages.get("queries_min") == pages.get("queries_max")
    row(
        "partner_api_cursor_pages",
        "<= 2x API floor; constant queries",
        None if vs is None else (vs <= 2 and const),
        f"{vs or 0:.2f}x floor",
    )

    for name, limit, factor, unit in (
        ("duplicate_candidates", 50, 1.5, "50 ms"),
        ("deadline_sweep", 500, 1.5, "500 ms"),
    ):
        m = median(large, name)
        vs_small = _ratio(m, median(small, name))
        row(
            name,
            f"< {unit}; <= {factor}x at 10k",
            None if m is None else (m < limit and (vs_small is None or vs_small <= factor)),
            f"{vs_small or 0:.2f}x the 10k figure ({_ms(median(small, name))} ms)",
        )

    m = median(large, "csaf_export")
    row("csaf_export", "< 200 ms", None if m is None else m < 200)

    m = median(large, "sarif_batch_accept")
    row(
        "sarif_batch_accept", "1,000 findings accepted (202) < 1 s", None if m is None else m < 1000
    )
    facts = large.get("sarif_batch_processing", {}).get("extra", {})
    m = median(large, "sarif_batch_processing")
    row(
        "sarif_batch_processing",
        "1,000 findings with candidates, one worker, < 60 s",
        None if m is None else m < 60000,
        f"candidates {facts.get('candidates_ms_per_finding', '-')} ms per finding; "
        f"{facts.get('with_candidates', '-')} of {facts.get('created', '-')} with candidates",
    )

    huge = _by_name(results.get("huge"))
    for name in (
        "maintainer_case_list_web",
        "maintainer_case_list_api",
        "partner_api_cursor_pages",
        "ordinary_case_detail",
        "ordinary_case_detail_uncached",
    ):
        if name not in huge:
            continue
        r = huge[name]
        vs = vs_other_size(huge, large, name)
        rows.append(
            {
                "scenario": f"{name} (1M cases)",
                "median": _ms(r.get("median_ms")),
                "p95": _ms(r.get("p95_ms")),
                "queries": _queries(r),
                "target": "<= 1.3x the 100k figure",
                "result": "error: " + r["error"] if r.get("error") else f"{vs or 0:.2f}x",
                "met": "-" if vs is None or r.get("error") else ("yes" if vs <= 1.3 else "NO"),
            }
        )

    tp = results.get("throughput")
    if tp:
        api, floor = tp["api_case_list"], tp["floor_api"]
        rows.append(
            {
                "scenario": f"throughput ({tp['workers']} workers, {api['tool']})",
                "median": _ms(api.get("median_ms")),
                "p95": "p99 " + _ms(api.get("p99_ms")),
                "queries": "-",
                "target": "zero errors; >= 50% of the floor's req/s",
                "result": f"{api['rps']:.0f} req/s ({api['requests']} requests, "
                f"{api['errors']} errors); floor {floor['rps']:.0f} req/s "
                f"({floor['errors']} errors): {_ratio(api['rps'], floor['rps']) or 0:.0%}",
                "met": "yes"
                if api["errors"] == 0 and floor["errors"] == 0 and api["rps"] >= 0.5 * floor["rps"]
                else "NO",
            }
        )
    mem = results.get("memory")
    if mem:
        rows.append(
            {
                "scenario": "memory (one worker)",
                "median": "-",
                "p95": "-",
                "queries": "-",
                "target": "RSS after 1,000 requests < 200 MB",
                "result": f"{mem['rss_mb']} MB (at start {mem['rss_mb_after_start']} MB); "
                f"statuses {mem['statuses']}",
                "met": "yes" if mem["rss_mb"] < 200 else "NO",
            }
        )
    return rows


def table(results: dict[str, Any]) -> str:
    facts = (results.get("large") or {}).get("database", {})
    header = ", ".join(f"{v:,} {k}" for k, v in facts.items())
    cols = ["scenario", "median", "p95", "queries", "target", "result", "met"]
    lines = [
        f"Data set: {header}" if header else "",
        "",
        "| scenario | median ms | p95 ms | queries | target | result | met |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for r in evaluate(results):
        lines.append("| " + " | ".join(r[c] for c in cols) + " |")
    return "\n".join(lines)
