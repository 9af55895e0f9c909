"""Small presentation helpers of the portal: times in the viewer's zone, timeline lines."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

from cases.models import TRANSITION_LABELS, CaseState, ParticipantRole

register = template.Library()


def user_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The user's preferred zone (Profile.timezone), cached on the user object."""
    cached = getattr(user, "_akrites_zone", None)
    if cached is not None:
        return cached
    name = "UTC"
    if getattr(user, "is_authenticated", False):
        from cases.models import Profile

        name = Profile.objects.filter(user=user).values_list("timezone", flat=True).first() or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    if user is not None:
        user._akrites_zone = zone
    return zone


@register.filter
def user_time(value: datetime | None, user: Any) -> str:
    """``{{ embargo.public_at|user_time:user }}`` -> "2026-12-01 13:00 CET"."""
    if not value:
        return ""
    local = timezone.localtime(value, user_zone(user))
    return format_date(local, "Y-m-d H:i T")


_STATE_LABELS = dict(CaseState.choices)
_ROLE_LABELS = dict(ParticipantRole.choices)


@register.filter
def timeline_text(entry: Any) -> str:
    """One readable line for a timeline entry; unknown codes show the code itself."""
    action, data = entry.action, entry.data or {}
    if action.startswith("case.state."):
        name = action.rsplit(".", 1)[1]
        label = TRANSITION_LABELS.get(name, name.replace("_", " ").capitalize())
        text = f"{label}: {_STATE_LABELS.get(data.get('from'), data.get('from', '?'))} → "
        text += _STATE_LABELS.get(data.get("to"), data.get("to") or "Duplicate")
        if data.get("reason"):
            text += f" (reason: {data['reason']})"
        if data.get("of"):
            text += f" of {data['of']}"
        return text
    role = _ROLE_LABELS.get(data.get("role"), data.get("role", ""))
    who = data.get("organisation") or data.get("user") or ""
    texts = {
        "case.opened": "Case opened from a report",
        "case.details.edited": "Details edited"
        + (f" ({', '.join(data['fields'])})" if data.get("fields") else ""),
        "case.participant.added": f"{who} added as {role.lower()}".strip(),
        "case.participant.removed": f"A {role.lower()} participant was removed",
        "case.participant.acknowledged": f"Acknowledged ({role.lower()})",
        "case.comment.posted": "Comment posted",
        "case.attachment.added": "Attachment uploaded",
        "case.vulnerability.added": "Vulnerability added",
        "case.vulnerability.edited": "Vulnerability edited",
        "case.project.added": f"Project {data.get('project', '')} added",
        "case.report.merged": "A duplicate report was merged into this case",
        "case.duplicate.merged": f"Case {data.get('case', '')} merged into this one",
    }
    if action in texts:
        return texts[action]
    # Codes of other apps (case.embargo.proposed, ...): readable without a table entry.
    parts = action.removeprefix("case.").split(".")
    return " · ".join(p.replace("_", " ") for p in parts).capitalize()
