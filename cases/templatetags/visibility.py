"""Field-level visibility and object predicates in templates: ``{% load visibility %}``.

The decisions are ``cases.access``'s; these filters only let a template ask them (a
template cannot call a function with two arguments).
"""

from __future__ import annotations

from typing import Any

from django import template

from cases import access as access_rules
from cases.access import CaseAccess
from cases.models import Credit

register = template.Library()


@register.filter
def vulnerability_title(vulnerability: Any, access: CaseAccess) -> str:
    """``{{ v|vulnerability_title:access }}``: the title, or the neutral placeholder while
    it is still a report's wording that this viewer may not read."""
    return access.vulnerability_title(vulnerability)


@register.filter
def can_consent_to_credit(credit: Credit, access: CaseAccess) -> bool:
    """``{% if c|can_consent_to_credit:access %}``: the consent buttons, for the credited
    person only (``services.set_credit_consent`` asks the same predicate)."""
    return access_rules.can_consent_to_credit(access, credit)
