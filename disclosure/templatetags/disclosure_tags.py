"""``{% load disclosure_tags %}{% disclosure_panels case access %}``: the embargo and
release panels of the case page; ``{% release_panel case access %}`` the release alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from cases.access import CaseAccess
from cases.models import Case
from cases.types import AnyUser, User
from disclosure.models import CalendarToken
from disclosure.panels import build_panels

register = template.Library()


@register.inclusion_tag("disclosure/_panels.html", takes_context=True)
def disclosure_panels(context: template.Context, case: Case, access: CaseAccess) -> dict[str, Any]:
    return {
        "p": build_panels(case, access),
        "user": context.get("user"),
        "csrf_token": context.get("csrf_token"),
        "show_embargo": True,
    }


@register.inclusion_tag("disclosure/_case_deadlines.html", takes_context=True)
def case_deadlines(context: template.Context, case: Case, access: CaseAccess) -> dict[str, Any]:
    """The case's deadlines that are the viewer's to act on (the dashboard's rule)."""
    from django.utils import timezone

    from disclosure.services.deadlines import deadline_lines

    until = timezone.now() + dt.timedelta(days=366)
    return {
        "lines": deadline_lines(access.user, Case.objects.filter(pk=case.pk), until),
        "user": context.get("user"),
    }


@register.inclusion_tag("disclosure/_panels.html", takes_context=True)
def release_panel(context: template.Context, case: Case, access: CaseAccess) -> dict[str, Any]:
    return {
        "p": build_panels(case, access),
        "user": context.get("user"),
        "csrf_token": context.get("csrf_token"),
        "show_embargo": False,
    }


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """A timedelta as "3 d 4 h" (days and hours are what deployment is measured in)."""
    if value is None:
        return "—"
    total = int(value.total_seconds())
    if total < 0:
        return "—"
    days, rest = divmod(total, 86400)
    hours = rest // 3600
    if days:
        return f"{days} d {hours} h"
    minutes = (rest % 3600) // 60
    return f"{hours} h {minutes} min"


@register.simple_tag
def calendar_feed_since(user: AnyUser) -> dt.datetime | None:
    """When the user's live calendar feed address was created (None: no live address)."""
    if not isinstance(user, User):  # not signed in
        return None
    return (
        CalendarToken.objects.filter(user=user, revoked_at__isnull=True)
        .values_list("created_at", flat=True)
        .first()
    )
