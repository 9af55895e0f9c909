"""The benchmark's table: ratios from floors measured side by side, sizes compared by
their ratios (bench/report.py), and the floor requests ``measure`` interleaves."""

from __future__ import annotations

from typing import Any

import pytest

from bench.measure import measure
from bench.report import evaluate


def _result(name: str, median: float, floor: float | None = None) -> dict[str, Any]:
    extra = {"floor_ms": floor} if floor is not None else {}
    return {
        "name": name,
        "median_ms": median,
        "p95_ms": median,
        "queries_min": 4,
        "queries_max": 4,
        "extra": extra,
    }


def _row(rows: list[dict[str, str]], scenario: str) -> dict[str, str]:
    return next(r for r in rows if r["scenario"] == scenario)


def test_a_page_is_compared_with_the_floor_measured_beside_it() -> None:
    results = {
        "large": {
            "results": [
                _result("floor_api", 10.0),  # a floor measured minutes earlier, on a busier machine
                _result("partner_api_cursor_pages", 12.0, floor=5.0),
            ]
        }
    }
    row = _row(evaluate(results), "partner_api_cursor_pages")

    assert row["result"] == "2.40x floor" and row["met"] == "NO"


def test_sizes_are_compared_by_their_ratios_to_the_floor() -> None:
    results = {
        "large": {
            "results": [_result("floor_web", 10.0), _result("ordinary_case_detail", 30.0, 10.0)]
        },
        # The 1M run's machine was twice as slow: page and floor alike.
        "huge": {"results": [_result("ordinary_case_detail", 60.0, 20.0)]},
    }
    row = _row(evaluate(results), "ordinary_case_detail (1M cases)")

    assert row["result"] == "1.00x" and row["met"] == "yes"


@pytest.mark.django_db
def test_measure_runs_the_floor_before_each_call_and_keeps_its_median() -> None:
    calls: list[str] = []
    result = measure(
        "x",
        lambda i: calls.append("page"),
        iterations=4,
        warmup=1,
        floor=lambda i: calls.append("floor"),
    )

    assert calls == ["floor", "page"] * 5
    assert result.iterations == 4 and result.extra["floor_ms"] >= 0
