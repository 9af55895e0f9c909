"""Field-level visibility in templates: ``{% load visibility %}``.

The decisions are ``cases.access.CaseAccess``'s; these filters only let a template ask
them (a template cannot call a method with an argument).
"""

from __future__ import annotations

from typing import Any

from django import template

from cases.access import CaseAccess

register = template.Library()


@register.filter
def vulnerability_title(vulnerability: Any, access: CaseAccess) -> str:
    """``{{ v|vulnerability_title:access }}``: the title, or the neutral placeholder while
    it is still a report's wording that this viewer may not read."""
    return access.vulnerability_title(vulnerability)
