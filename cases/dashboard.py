"""What the home page shows: deadlines, the triage queue, the SIRT's work queue, the
maintainer inbox.

``upcoming_deadlines(user, days)`` collects deadlines from every registered source.
A source is a function ``(cases, until) -> iterable of Deadline`` that receives the
cases the user may see (already filtered by ``cases.access``) and the horizon; other
apps add theirs with ``register_deadline_source`` (e.g. in ``AppConfig.ready``).
``work_queue(user)`` gives the coordinator's work queue, section by section (below);
other apps add sections with ``register_queue_source``.
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
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.models import Case, CaseState, Participant, ReportStatus, TimelineEntry
from cases.services import vendor_status
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


def _takes_user(source: DeadlineSource) -> bool:
    """A source that takes ``user=`` shows each persona only their own deadlines."""
    return "user" in inspect.signature(source).parameters


def upcoming_deadlines(user: User, days: int = 14, limit: int | None = None) -> list[Deadline]:
    """Deadlines of the user's visible cases up to ``days`` from now, overdue ones included;
    with ``limit``, only the ``limit`` soonest (each source fetches no more than that).
    The SIRT's lines cover every case and are the same for each coordinator: kept for a
    minute like its other portal-wide figures (``portal_wide``; the case page's are live)."""

    def compute() -> list[Deadline]:
        cases = Case.objects.visible_to(user)
        until = timezone.now() + timedelta(days=days)
        found: list[Deadline] = []
        for source in _SOURCES:
            kwargs: dict[str, Any] = {"limit": limit} if _takes_limit(source) else {}
            if _takes_user(source):
                kwargs["user"] = user
            found.extend(source(cases, until, **kwargs))
        return sorted(found, key=lambda d: d.at)[:limit]

    return portal_wide(user, f"deadlines:{days}:{limit}", compute)


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


# --------------------------------------------------------------------------- work queue
#
# The SIRT's work queue on the dashboard: what waits for a coordinator, one section a
# kind of work, each row a link to the exact place to act. This module gives the
# sections it knows (reports to triage, vendor statuses missing); the higher layers add
# theirs with ``register_queue_source`` from their ``AppConfig.ready()`` (advisories to
# review, embargo proposals to decide, failed notifications). A source answers with a
# count and its first ``limit`` rows in a bounded number of queries (no query per row).


@dataclass(frozen=True)
class QueueItem:
    label: str
    url: str
    since: datetime | None = None
    detail: str = ""
    late: bool = False


@dataclass(frozen=True)
class QueueSection:
    key: str
    title: str
    items: list[QueueItem]
    count: int
    more_url: str = ""
    empty: str = "Nothing waiting."
    note: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.items))


# ``source(user, limit) -> QueueSection``, called for SIRT members only.
QueueSource = Callable[[User, int], QueueSection]
_QUEUE_SOURCES: list[QueueSource] = []


def register_queue_source(source: QueueSource) -> QueueSource:
    """Add a work-queue section (usable as a decorator); registering twice is harmless."""
    if source not in _QUEUE_SOURCES:
        _QUEUE_SOURCES.append(source)
    return source


def work_queue(user: User, limit: int | None = None) -> list[QueueSection]:
    """The coordinator's work queue, section by section; empty for anyone else."""
    if not access.is_sirt(user):
        return []
    limit = settings.WORK_QUEUE_ROWS if limit is None else limit
    sections = [triage_section(user, limit), vendor_status_section(user, limit)]
    sections.extend(source(user, limit) for source in _QUEUE_SOURCES)
    return sections


def age_text(since: datetime, now: datetime) -> str:
    """How long something has waited, in words: "5 hours", "3 days"."""
    hours = int((now - since).total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def triage_section(user: User, limit: int) -> QueueSection:
    """Reports waiting for triage, oldest first, with their age against the SIRT's
    first-response target (``TRIAGE_FIRST_RESPONSE_HOURS``)."""
    target = timedelta(hours=settings.TRIAGE_FIRST_RESPONSE_HOURS)
    now = timezone.now()
    reports = triage_queue(user).order_by("received_at", "id")
    count = reports.count()
    items: list[QueueItem] = []
    for report in reports[:limit] if count else []:
        late = now - report.received_at > target
        who = report.reporter_organisation or report.reporter.get_username()
        items.append(
            QueueItem(
                label=f"#{report.pk} {report.title}",
                url=report.get_absolute_url(),
                since=report.received_at,
                detail=f"from {who}, waiting {age_text(report.received_at, now)}"
                + (" (past the first-response target)" if late else ""),
                late=late,
            )
        )
    hours = settings.TRIAGE_FIRST_RESPONSE_HOURS
    return QueueSection(
        key="triage",
        title="Reports to triage",
        items=items,
        count=count,
        more_url=reverse("cases:report_list"),
        empty="No report is waiting for triage.",
        note=f"Oldest first; first-response target {hours} hours.",
    )


def vendor_status_section(user: User, limit: int) -> QueueSection:
    """Vendors (participant organisations) that have not given a status on every
    vulnerability of an open case, longest asked first (``vendor_status``). Finding
    them checks every vendor of every open case (0.2-0.8 s at 100,000 cases), so the
    SIRT's section is kept for a minute like its other portal-wide figures."""

    def compute() -> tuple[int, list[tuple[str, str, datetime]]]:
        rows = vendor_status.missing_vendor_statuses(user)
        found = [
            (
                f"{p.case.reference}: {p.organisation.name if p.organisation else ''}",
                p.case.get_absolute_url() + "#vendor-status",
                p.invited_at,
            )
            for p in rows[:limit]
        ]
        return (rows.count() if found else 0), found

    count, found = portal_wide(user, f"vendor_status:{limit}", compute)
    now = timezone.now()
    items = [
        QueueItem(label=label, url=url, since=since, detail=f"asked {age_text(since, now)} ago")
        for label, url, since in found
    ]
    return QueueSection(
        key="vendor_status",
        title="Vendor statuses missing",
        items=items,
        count=count,
        empty="Every vendor has given a status.",
    )
