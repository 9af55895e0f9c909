"""``{{ affected|affected_range }}``: an affected package's versions as the CSAF, OSV
and CVE files state them (``disclosure.advisories.formats.affected``)."""

from __future__ import annotations

from typing import Any

from django import template

from disclosure.advisories.formats.affected import affected_facts, describe

register = template.Library()


@register.filter
def affected_range(affected: dict[str, Any]) -> str:
    try:
        return describe(affected_facts(affected))
    except Exception:  # univers raises many types; frozen content is shown as stored
        # (a range an older univers read and this one does not).
        return str(affected.get("vers") or "—")
