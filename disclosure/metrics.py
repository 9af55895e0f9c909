"""Across-case timing metrics for the SIRT: time to acknowledge, fix, release, deploy.

Each metric is one query that returns (start, end) pairs; the median and the 90th
percentile are computed in Python (linear interpolation between closest ranks, as
PostgreSQL's ``percentile_cont`` does), so the page works on SQLite too.

- acknowledge: first maintainer invitation -> first maintainer acknowledgement, per case
- fix: case opened -> every project of the release plan ready (``ReleasePlan.fixed_at``)
- release: case opened -> every project released (``ReleasePlan.released_at``)
- deploy: release -> each partner/downstream organisation's first "deployed" report
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Min

from cases.models import Participant, ParticipantRole
from disclosure.models import DeploymentReport, DeploymentStatus, ReleasePlan

DAY = 86400.0


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) with linear interpolation; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    explanation: str
    count: int
    median_days: float | None
    p90_days: float | None


def _metric(key: str, label: str, explanation: str, pairs: list[tuple]) -> Metric:
    days = [(end - start).total_seconds() / DAY for start, end in pairs if start and end]
    days = [d for d in days if d >= 0]
    return Metric(key, label, explanation, len(days), percentile(days, 50), percentile(days, 90))


def time_to_acknowledge() -> Metric:
    pairs = (
        Participant.objects.filter(role=ParticipantRole.MAINTAINER)
        .values("case_id")
        .annotate(start=Min("invited_at"), end=Min("acknowledged_at"))
        .filter(end__isnull=False)
        .values_list("start", "end")
    )
    return _metric(
        "acknowledge",
        "Time to acknowledge",
        "From inviting the maintainers to their first acknowledgement.",
        list(pairs),
    )


def time_to_fix() -> Metric:
    pairs = ReleasePlan.objects.filter(fixed_at__isnull=False).values_list(
        "case__created_at", "fixed_at"
    )
    return _metric(
        "fix",
        "Time to fix",
        "From opening the case to every project's fix being ready.",
        list(pairs),
    )


def time_to_release() -> Metric:
    pairs = ReleasePlan.objects.filter(released_at__isnull=False).values_list(
        "case__created_at", "released_at"
    )
    return _metric(
        "release",
        "Time to release",
        "From opening the case to every project having released.",
        list(pairs),
    )


def time_to_deploy() -> Metric:
    pairs = DeploymentReport.objects.filter(
        status=DeploymentStatus.DEPLOYED,
        deployed_at__isnull=False,
        case__release_plan__released_at__isnull=False,
    ).values_list("case__release_plan__released_at", "deployed_at")
    return _metric(
        "deploy",
        "Time to deploy",
        "From the release to each partner or downstream organisation reporting it deployed.",
        list(pairs),
    )


def all_metrics() -> list[Metric]:
    return [time_to_acknowledge(), time_to_fix(), time_to_release(), time_to_deploy()]


@dataclass(frozen=True)
class Bar:
    label: str
    days: float
    width: float
    y: int
    css: str


def chart_bars(metric: Metric, width: float = 240.0) -> list[Bar]:
    """Bars of one metric for its server-rendered SVG chart (widths in SVG units).

    Each chart has its own scale (acknowledging takes hours, deploying weeks): the
    90th percentile bar spans the full width.
    """
    scale_days = metric.p90_days or metric.median_days or 0.0
    bars = []
    for i, (label, value, css) in enumerate(
        (("median", metric.median_days, "bar-median"), ("90th pct", metric.p90_days, "bar-p90"))
    ):
        if value is None:
            continue
        w = 0.0 if scale_days <= 0 else max(1.0, width * value / scale_days)
        bars.append(Bar(label, value, round(w, 1), 8 + i * 32, css))
    return bars


def as_days(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 24:.1f} h"
    return f"{value:.1f} d"
