"""Deadline sources for the home page (``cases.dashboard.register_deadline_source``,
called by ``DisclosureConfig.ready``).

Each receives the cases the user may see (already filtered by ``cases.access``), the
horizon and at most how many rows the page shows, and returns the soonest
``cases.dashboard.Deadline`` rows; overdue ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from cases.dashboard import Deadline
from disclosure.models import Embargo, EmbargoState, PreNotification, ReleasePlan


def embargo_dates(
    cases: QuerySet, until: dt.datetime, limit: int | None = None
) -> Iterable[Deadline]:
    """Public dates of active embargoes; one still active after its date is overdue."""
    embargoes = (
        Embargo.objects.filter(
            case__in=cases, state=EmbargoState.ACTIVE, public_at__isnull=False, public_at__lte=until
        )
        .select_related("case")
        .order_by("public_at")
    )
    return [Deadline(e.case, "Embargo ends", e.public_at, "embargo") for e in embargoes[:limit]]


def release_targets(
    cases: QuerySet, until: dt.datetime, limit: int | None = None
) -> Iterable[Deadline]:
    plans = (
        ReleasePlan.objects.filter(
            case__in=cases, target_at__isnull=False, target_at__lte=until, released_at__isnull=True
        )
        .select_related("case")
        .order_by("target_at")
    )
    return [
        Deadline(p.case, "Release target", p.target_at, "release")
        for p in plans[:limit]
        if p.target_at is not None  # as filtered above
    ]


def pre_notification_dates(
    cases: QuerySet, until: dt.datetime, limit: int | None = None
) -> Iterable[Deadline]:
    """Pre-notifications not sent yet. The organisation's name stays off the label:
    the dashboard is shown to every participant, who may not see each other's names."""
    rows = (
        PreNotification.objects.filter(
            plan__case__in=cases,
            notify_at__isnull=False,
            notify_at__lte=until,
            sent_at__isnull=True,
            plan__released_at__isnull=True,
        )
        .select_related("plan__case")
        .order_by("notify_at")
    )
    return [
        Deadline(pn.plan.case, "Pre-notification due", pn.notify_at, "prenotification")
        for pn in rows[:limit]
        if pn.notify_at is not None  # as filtered above
    ]


def lines_for_user(
    cases: QuerySet, until: dt.datetime, limit: int | None = None, user: Any = None
) -> Iterable[Deadline]:
    """Every deadline line that is the user's to act on, naming its organisation
    (``disclosure.services.deadlines.deadline_lines``: the one rule, also on the case
    page)."""
    from disclosure.services.deadlines import deadline_lines

    if user is None:  # a caller without a person: the coordinator's view of ``cases``
        return [
            *embargo_dates(cases, until, limit),
            *release_targets(cases, until, limit),
            *pre_notification_dates(cases, until, limit),
        ]
    return deadline_lines(user, cases, until, limit)
