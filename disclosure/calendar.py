"""The private iCalendar feed: public dates and release dates of a user's cases.

Events carry the case reference and what the date is, never a title, summary or
organisation name: a calendar is synchronised to phones and third-party services.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from cases.models import Case
from cases.types import User
from disclosure.models import Embargo, EmbargoState, ReleasePlan

EVENT_LENGTH = dt.timedelta(minutes=30)


def _event(uid: str, summary: str, start: dt.datetime, url: str, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{settings.CASE_REFERENCE_PREFIX.lower()}.akrites")
    event.add("summary", summary)
    event.add("dtstart", start.astimezone(dt.UTC))
    event.add("dtend", start.astimezone(dt.UTC) + EVENT_LENGTH)
    event.add("dtstamp", stamp)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def build_feed(user: User) -> bytes:
    """The feed for ``user``: only cases ``Case.objects.visible_to(user)`` returns."""
    cases = Case.objects.visible_to(user)
    stamp = timezone.now().astimezone(dt.UTC)
    cal = Calendar()
    cal.add("prodid", "-//Akrites//Disclosure calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Akrites disclosure dates")

    embargoes = (
        Embargo.objects.filter(case__in=cases, public_at__isnull=False)
        .exclude(state=EmbargoState.NONE)
        .values_list("case__reference", "public_at", "state")
        .order_by("public_at")
    )
    for reference, public_at, state in embargoes:
        label = "embargo broken, public" if state == EmbargoState.BROKEN else "public date"
        cal.add_component(
            _event(
                f"{reference.lower()}-public",
                f"{reference} {label}",
                public_at,
                f"{settings.SITE_URL}/cases/{reference}/",
                stamp,
            )
        )
    plans = (
        ReleasePlan.objects.filter(case__in=cases, target_at__isnull=False)
        .values_list("case__reference", "target_at", "released_at")
        .order_by("target_at")
    )
    for reference, target_at, released_at in plans:
        at = released_at or target_at
        assert at is not None  # only plans with a target (the filter above)
        cal.add_component(
            _event(
                f"{reference.lower()}-release",
                f"{reference} {'released' if released_at else 'release target'}",
                at,
                f"{settings.SITE_URL}/cases/{reference}/",
                stamp,
            )
        )
    return cal.to_ical()
