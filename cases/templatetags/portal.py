"""Small presentation helpers of the portal: times in the viewer's zone, timeline lines."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

from cases import actions
from cases.models import Profile
from cases.types import AnyUser, User

register = template.Library()


def user_zone(user: AnyUser | None) -> zoneinfo.ZoneInfo:
    """The user's preferred zone (Profile.timezone), cached on the user object."""
    cached = getattr(user, "_akrites_zone", None)
    if cached is not None:
        return cached
    name = "UTC"
    if isinstance(user, User):  # signed in (a template may pass anything, even "")
        name = Profile.objects.filter(user=user).values_list("timezone", flat=True).first() or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    if user is not None:
        # A cache for this request on the user object, which has no such attribute.
        user._akrites_zone = zone  # type: ignore[union-attr]
    return zone


@register.filter
def user_time(value: datetime | None, user: AnyUser | None) -> str:
    """``{{ embargo.public_at|user_time:user }}`` -> "2026-12-01 13:00 CET"."""
    if not value:
        return ""
    local = timezone.localtime(value, user_zone(user))
    return format_date(local, "Y-m-d H:i T")


@register.filter
def timeline_text(entry: Any) -> str:
    """One readable line for a timeline entry, as its code is registered (``cases.actions``)."""
    return actions.timeline.display(entry)


@register.filter
def audit_text(event: Any) -> str:
    """One readable line for an audit row, as its code is registered (``cases.actions``)."""
    return actions.audit.display(event)
