"""Timing primitives: run a callable N times, keep latencies and query counts.

In-process scenarios go through Django's full request stack with the test
``Client`` (middleware, sessions or tokens, second factor, templates), against
the database ``DATABASE_URL`` names, with production settings (``DEBUG`` off, so
templates are cached and no query log is kept except while counting).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Result:
    name: str
    median_ms: float | None = None
    p95_ms: float | None = None
    iterations: int = 0
    # Queries of each iteration (min and max tell whether the count is constant).
    queries_min: int | None = None
    queries_max: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(
    name: str,
    call: Callable[[int], Any],
    *,
    iterations: int,
    warmup: int = 3,
    count_queries: bool = True,
    check: Callable[[Any], str | None] | None = None,
    floor: Callable[[int], Any] | None = None,
) -> Result:
    """Call ``call(i)`` ``warmup + iterations`` times; time the last ``iterations``.

    ``check(returned)`` may return an error text (a 404, a wrong count): the first
    one stops the scenario, since its timings would measure the wrong thing. With
    ``floor``, the floor's request runs before each call and its median is kept in
    ``extra["floor_ms"]``: a ratio of two medians taken side by side, which the
    load of a shared machine moves far less than two medians taken minutes apart.
    """
    times: list[float] = []
    floor_times: list[float] = []
    queries: list[int] = []
    for i in range(warmup + iterations):
        if floor is not None:
            started = time.perf_counter()
            floor(i)
            if i >= warmup:
                floor_times.append((time.perf_counter() - started) * 1000)
        ctx = CaptureQueriesContext(connection) if count_queries else None
        if ctx is not None:
            ctx.__enter__()
        started = time.perf_counter()
        try:
            returned = call(i)
        finally:
            elapsed = time.perf_counter() - started
            if ctx is not None:
                ctx.__exit__(None, None, None)
        if check is not None:
            problem = check(returned)
            if problem:
                return Result(name=name, error=problem)
        if i >= warmup:
            times.append(elapsed * 1000)
            if ctx is not None:
                queries.append(len(ctx.captured_queries))
    return Result(
        name=name,
        median_ms=round(statistics.median(times), 2),
        p95_ms=round(percentile(times, 95), 2),
        iterations=len(times),
        queries_min=min(queries) if queries else None,
        queries_max=max(queries) if queries else None,
        extra={"floor_ms": round(statistics.median(floor_times), 2)} if floor_times else {},
    )


def expect_status(status: int = 200) -> Callable[[Any], str | None]:
    def check(response: Any) -> str | None:
        if response.status_code != status:
            where = response.get("Location", "")
            return f"HTTP {response.status_code} {where}".strip()
        return None

    return check
