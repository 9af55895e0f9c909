"""What the home page shows: deadlines, the triage queue, the maintainer inbox.

``upcoming_deadlines(user, days)`` collects deadlines from every registered source.
A source is a function ``(cases, until) -> iterable of Deadline`` that receives the
cases the user may see (already filtered by ``cases.access``) and the horizon; other
apps add theirs with ``register_deadline_source`` (e.g. in ``AppConfig.ready``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.utils import timezone

from cases import access
from cases.models import Case, CaseState, Participant, ReportStatus, TimelineEntry
from cases.types import AnyUser, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    case: Case
    label: str
    at: datetime
    kind: str = "embargo"

    @property
    def is_overdue(self) -> bool:
        return self.at < timezone.now()


# ``source(cases, until)``, or ``source(cases, until, limit=n)`` for a source that can
# stop after its ``n`` soonest rows (all the built-in ones do: a coordinator sees
# every case, and at 100,000 cases the 14-day horizon holds thousands of dates).
DeadlineSource = Callable[..., Iterable[Deadline]]
_SOURCES: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> DeadlineSource:
    """Add a deadline source (usable as a decorator); registering twice is harmless."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def _takes_limit(source: DeadlineSource) -> bool:
    return "limit" in inspect.signature(source).parameters


def upcoming_deadlines(user: User, days: int = 14, limit: int | None = None) -> list[Deadline]:
    """Deadlines of the user's visible cases up to ``days`` from now, overdue ones included;
    with ``limit``, only the ``limit`` soonest (each source fetches no more than that)."""
    cases = Case.objects.visible_to(user)
    until = timezone.now() + timedelta(days=days)
    found: list[Deadline] = []
    for source in _SOURCES:
        rows = source(cases, until, limit=limit) if _takes_limit(source) else source(cases, until)
        found.extend(rows)
    return sorted(found, key=lambda d: d.at)[:limit]


def portal_wide(user: AnyUser, name: str, compute: Callable[[], Any]) -> Any:
    """A figure over the whole portal, as the SIRT sees it, kept for a minute.

    Counting 100,000 cases or 200,000 reports on every dashboard view costs more than
    the rest of the page (50-200 ms); a coordinator's figures may be a minute old.
    Everyone else's figures cover only what they can see, so they stay live and cheap.
    ``DASHBOARD_CACHE_SECONDS`` (default 60; 0 in tests) sets the minute.
    """
    if not access.is_sirt(user):
        return compute()
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return compute()
    key = f"akrites:dashboard:sirt:{name}"
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - a shared cache (Redis) that does not answer
        logger.warning("dashboard figure %s not cached: the cache does not answer", name)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, seconds)
        except Exception:  # noqa: BLE001 - as above
            logger.warning("dashboard figure %s not cached: the cache does not answer", name)
    return value


def cases_by_state(user: User) -> list[tuple[str, str, int]]:
    """(state, label, count) for every state, counted over visible cases only."""

    def count() -> dict[str, int]:
        return dict(
            Case.objects.visible_to(user)
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )

    counts = portal_wide(user, "cases_by_state", count)
    return [(value, label, counts.get(value, 0)) for value, label in CaseState.choices]


def triage_queue(user: User) -> QuerySet:
    return (
        access.visible_reports(user)
        .filter(status=ReportStatus.NEW)
        .select_related("reporter", "reporter_organisation")
    )


def awaiting_acknowledgement(user: User) -> QuerySet:
    """Participations of the user (own or through an organisation) not acknowledged yet."""
    return (
        Participant.objects.active()
        .filter(access.acknowledging_rows_q(user))
        .filter(case__in=Case.objects.visible_to(user).open())
        .select_related("case", "organisation")
        .order_by("invited_at")
        .distinct()
    )


def recent_activity(user: User, limit: int = 15) -> QuerySet:
    """Latest timeline entries across the user's cases, with the cautious filter."""
    entries = TimelineEntry.objects.filter(case__in=Case.objects.visible_to(user))
    if not access.is_sirt(user):  # the SIRT reads every entry
        entries = access.filter_timeline(entries, None, user)
    return entries.select_related("case", "actor").order_by("-created_at", "-id")[:limit]
